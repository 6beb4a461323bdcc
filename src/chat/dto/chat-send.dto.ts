import { Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
  registerDecorator,
  ValidateIf,
  ValidationArguments,
} from 'class-validator';
import { IsStorableText } from '../../common/text.js';
import {
  CHAT_KINDS,
  type ChatHistoryPayload,
  type ChatKind,
  type ChatSendPayload,
} from '../../protocol/events.js';

/**
 * `to` is required for private messages and must be absent (or null) for public ones: shape
 * only. Whom it names (present in the room, not the sender) is ChatService's rule.
 */
function RecipientMatchesKind() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'recipientMatchesKind',
      target: target.constructor,
      propertyName,
      validator: {
        validate(value: unknown, args: ValidationArguments) {
          const kind = (args.object as { kind?: unknown }).kind;
          if (kind === 'private') return typeof value === 'string';
          if (kind === 'public') return value === undefined || value === null;
          return true; // kind itself is reported invalid
        },
        defaultMessage(args: ValidationArguments) {
          return (args.object as { kind?: unknown }).kind === 'private'
            ? 'to is required for a private message'
            : 'to must be absent for a public message';
        },
      },
    });
}

const trimmed = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim() : value;

/** The shape of a chat:send; the rules about it are ChatService's. */
export class ChatSendDto implements ChatSendPayload {
  @IsIn(CHAT_KINDS)
  kind!: ChatKind;

  // Not @IsOptional: that would skip every check when `to` is missing, including the one that
  // makes it required for private messages.
  @ValidateIf((o: { kind?: unknown; to?: unknown }) => o.kind === 'private' || o.to != null)
  @RecipientMatchesKind()
  @IsUUID()
  to?: string;

  @Transform(trimmed)
  @IsString()
  @Length(1, 4000)
  @IsStorableText()
  text!: string;

  @IsUUID()
  clientMessageId!: string;
}

export class ChatHistoryDto implements ChatHistoryPayload {
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  before?: number;
}
