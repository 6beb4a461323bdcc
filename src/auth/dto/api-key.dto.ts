import { ArrayNotEmpty, ArrayUnique, IsArray, IsIn, IsString, Length } from 'class-validator';
import { IsDisplayableText } from '../../common/text.js';
import { API_KEY_SCOPES, type ApiKeyScope } from '../api-key.entity.js';

export class CreateApiKeyDto {
  /** A label for people: who or what uses this key. */
  @IsString()
  @Length(1, 100)
  @IsDisplayableText()
  name!: string;

  /** What the key may do: `admin` (rooms, tokens, keys), `audit:read` (chat audit trail). */
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(API_KEY_SCOPES, { each: true })
  scopes!: ApiKeyScope[];
}

export class ApiKeyDto {
  id!: string;
  name!: string;
  /** The key's public prefix, to recognise it in lists. */
  prefix!: string;
  scopes!: ApiKeyScope[];
  createdAt!: string;
  lastUsedAt!: string | null;
  revokedAt!: string | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  /** The secret key. Shown only once: store it now. */
  key!: string;
}
