import { Transform } from 'class-transformer';
import {
  isIn,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  isUUID,
  IsUUID,
  length,
  Length,
  Max,
  Min,
  registerDecorator,
  ValidateIf,
  ValidationArguments,
} from 'class-validator';
import { IsStorableText, isStorableText } from '../../common/text.js';
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

const TEXT_MIN = 1;
const TEXT_MAX = 4000;
const SEND_FIELDS: ReadonlySet<string> = new Set(['kind', 'to', 'text', 'clientMessageId']);

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
  @Length(TEXT_MIN, TEXT_MAX)
  @IsStorableText()
  text!: string;

  @IsUUID()
  clientMessageId!: string;

  /**
   * The decorators above as one function (PrecheckedDto), with class-validator's own checks:
   * chat:send is the hottest message, and reflecting over them costs more than the rest of its
   * validation. Undefined for anything they might refuse; the full validation then says why.
   */
  static accept(value: unknown): ChatSendDto | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const fields = value as Record<string, unknown>;
    if (!Object.keys(fields).every((key) => SEND_FIELDS.has(key))) return undefined;
    const { kind, to, text, clientMessageId } = fields;
    if (!isIn(kind, CHAT_KINDS)) return undefined;
    if (kind === 'private' ? !(typeof to === 'string' && isUUID(to)) : to != null) return undefined;
    if (typeof text !== 'string') return undefined;
    const trimmedText = text.trim();
    if (!length(trimmedText, TEXT_MIN, TEXT_MAX) || !isStorableText(trimmedText)) return undefined;
    if (typeof clientMessageId !== 'string' || !isUUID(clientMessageId)) return undefined;
    return Object.assign(new ChatSendDto(), fields, { text: trimmedText });
  }
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
