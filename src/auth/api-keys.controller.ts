import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiInvalidInputResponse, ErrorResponseDto } from '../common/error-response.dto.js';
import { ApiKeyPrincipal, ApiKeysService } from './api-keys.service.js';
import { Auth, CallingKey } from './auth.decorator.js';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto.js';

@ApiTags('api-keys')
@Auth({ scope: 'admin' })
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  /**
   * Create an API key.
   *
   * @remarks
   * Creates an API key with a name and scopes (`admin`, `audit:read`). The secret is in this
   * response once and never again; only its hash is stored. A key can only grant scopes it has
   * itself. Scope `admin`.
   */
  @Post()
  @ApiCreatedResponse({ description: 'The key, with its secret', type: CreatedApiKeyDto })
  @ApiInvalidInputResponse()
  @ApiForbiddenResponse({
    description: 'The key lacks the `admin` scope, or asks for a scope it does not have itself',
    type: ErrorResponseDto,
  })
  create(
    @Body() body: CreateApiKeyDto,
    @CallingKey() caller: ApiKeyPrincipal,
  ): Promise<CreatedApiKeyDto> {
    return this.keys.create(body.name, body.scopes, caller);
  }

  /**
   * List API keys.
   *
   * @remarks
   * API keys, revoked ones included, with their scopes and last use, never their secrets. Scope
   * `admin`.
   */
  @Get()
  list(): Promise<ApiKeyDto[]> {
    return this.keys.list();
  }

  /**
   * Revoke an API key.
   *
   * @remarks
   * Revokes an API key: requests with it fail from now on. A key can only revoke keys whose scopes
   * it has itself. Scope `admin`.
   */
  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked (or already revoked)' })
  @ApiForbiddenResponse({
    description:
      'The key lacks the `admin` scope, or the key to revoke has a scope it does not have',
    type: ErrorResponseDto,
  })
  @ApiNotFoundResponse({ description: 'No such key (API_KEY_NOT_FOUND)', type: ErrorResponseDto })
  @ApiInvalidInputResponse()
  async revoke(
    @Param('id', new ParseUUIDPipe()) id: string,
    @CallingKey() caller: ApiKeyPrincipal,
  ): Promise<void> {
    await this.keys.revoke(id, caller);
  }
}
