import { pipeline } from 'node:stream/promises';
import { Controller, Get, Logger, Param, ParseUUIDPipe, Query, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth } from '../auth/auth.decorator.js';
import { ApiInvalidInputResponse, ErrorResponseDto } from '../common/error-response.dto.js';
import { RoomMembership } from '../rooms/room-membership.js';
import { AuditQueries } from './audit/audit-queries.js';
import { CSV_COLUMNS, exportFormatter } from './audit/export-format.js';
import {
  AuditMessagePageDto,
  ExportQueryDto,
  ListMessagesQueryDto,
  VerifyResultDto,
} from './dto/audit.dto.js';

/** The chat audit trail, for compliance (scope `audit:read`). */
@ApiTags('audit')
@Auth({ scope: 'audit:read' })
@ApiInvalidInputResponse()
@Controller('api/v1')
export class AuditController {
  private readonly logger = new Logger('AuditController');

  constructor(
    private readonly audit: AuditQueries,
    private readonly rooms: RoomMembership,
  ) {}

  /** Every recorded message of a room, public and private, in seq order (keyset pagination). */
  @Get('rooms/:roomId/messages')
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async list(
    @Param('roomId', new ParseUUIDPipe()) roomId: string,
    @Query() query: ListMessagesQueryDto,
  ): Promise<AuditMessagePageDto> {
    await this.rooms.assertRoomExists(roomId);
    return this.audit.list(roomId, query);
  }

  /** Recomputes the room's hash chain: the first row that does not match, and the chain head. */
  @Get('rooms/:roomId/messages/verify')
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async verify(@Param('roomId', new ParseUUIDPipe()) roomId: string): Promise<VerifyResultDto> {
    await this.rooms.assertRoomExists(roomId);
    return this.audit.verify(roomId);
  }

  /** Streams messages as NDJSON or CSV, read page by page (constant memory, any volume). */
  @Get('audit/messages/export')
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiOkResponse({
    description: 'One message per line (NDJSON) or per row (CSV, with a header)',
    content: {
      'application/x-ndjson': {
        schema: {
          type: 'string',
          description:
            'Lines of JSON, each an AuditMessageDto (as the items of GET /api/v1/rooms/{roomId}/messages), in room, then seq order',
        },
      },
      'text/csv': {
        schema: {
          type: 'string',
          description: `RFC 4180 with a header row: ${CSV_COLUMNS.join(',')}`,
        },
      },
    },
  })
  async export(@Query() query: ExportQueryDto, @Res() res: Response): Promise<void> {
    const format = query.format ?? 'ndjson';
    const { rows, release } = await this.audit.exportRows(query);
    res.status(200);
    res.setHeader(
      'Content-Type',
      format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    );
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="convene-messages.${format === 'csv' ? 'csv' : 'ndjson'}"`,
    );
    try {
      await pipeline(rows, exportFormatter(format), res);
    } catch (error) {
      // Headers are gone; the client sees a truncated body and a reset connection.
      this.logger.error({ err: error }, 'audit export aborted');
      res.destroy();
    } finally {
      await release();
    }
  }
}
