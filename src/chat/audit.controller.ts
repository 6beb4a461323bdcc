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

  /**
   * List a room's audit trail.
   *
   * @remarks
   * Every recorded message of the room, public and private (with sender and recipient), in `seq`
   * order, filtered by kind, participant (as sender or recipient) and time. Keyset pagination: pass `nextCursor` as
   * `cursor`. Scope `audit:read`.
   */
  @Get('rooms/:roomId/messages')
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async list(
    @Param('roomId', new ParseUUIDPipe()) roomId: string,
    @Query() query: ListMessagesQueryDto,
  ): Promise<AuditMessagePageDto> {
    await this.rooms.assertRoomExists(roomId);
    return this.audit.list(roomId, query);
  }

  /**
   * Verify a room's hash chain.
   *
   * @remarks
   * Recomputes the room's hash chain from its checkpoint over every stored row and checks the
   * signed head: `valid`, the first row that does not match if any, and the head (`headSeq`,
   * `headHash`) to record elsewhere. Scope `audit:read`.
   */
  @Get('rooms/:roomId/messages/verify')
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async verify(@Param('roomId', new ParseUUIDPipe()) roomId: string): Promise<VerifyResultDto> {
    await this.rooms.assertRoomExists(roomId);
    return this.audit.verify(roomId);
  }

  /**
   * Export the audit trail.
   *
   * @remarks
   * Streams the messages of one room or all rooms, filtered as the list is, as NDJSON or CSV
   * (`format`), read from one database snapshot page by page: constant memory for any volume.
   * Scope `audit:read`.
   */
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
