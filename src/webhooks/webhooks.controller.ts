import { Controller, Get, HttpCode, Param, ParseIntPipe, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorator.js';
import { ApiInvalidInputResponse, ErrorResponseDto } from '../common/error-response.dto.js';
import {
  ListDeliveriesQueryDto,
  WebhookDeliveryDto,
  WebhookDeliveryPageDto,
} from './dto/webhook-delivery.dto.js';
import { WebhooksService } from './webhooks.service.js';

const DeliveryId = () => Param('deliveryId', new ParseIntPipe());

const ApiDeliveryNotFound = () =>
  ApiNotFoundResponse({
    description: 'No such delivery (WEBHOOK_DELIVERY_NOT_FOUND)',
    type: ErrorResponseDto,
  });

/** Webhook deliveries: what was sent where, and how it went. */
@ApiTags('webhooks')
@Auth({ scope: 'admin' })
@ApiInvalidInputResponse()
@Controller('api/v1/webhooks/deliveries')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  /**
   * List webhook deliveries.
   *
   * @remarks
   * Webhook deliveries, newest first, optionally by state and event type. Keyset pagination: pass
   * `nextCursor` as `cursor`. Scope `admin`.
   */
  @Get()
  list(@Query() query: ListDeliveriesQueryDto): Promise<WebhookDeliveryPageDto> {
    return this.webhooks.list(query);
  }

  /**
   * Get a webhook delivery.
   *
   * @remarks
   * One delivery with its body, its attempts so far and the last attempt's outcome. Scope `admin`.
   */
  @Get(':deliveryId')
  @ApiDeliveryNotFound()
  get(@DeliveryId() id: number): Promise<WebhookDeliveryDto> {
    return this.webhooks.get(id);
  }

  /**
   * Retry a webhook delivery.
   *
   * @remarks
   * Makes a failed delivery due again now, with a fresh count of attempts. Scope `admin`.
   */
  @Post(':deliveryId/retry')
  @HttpCode(200)
  @ApiDeliveryNotFound()
  @ApiConflictResponse({
    description: 'The delivery is pending or delivered (WEBHOOK_DELIVERY_NOT_FAILED)',
    type: ErrorResponseDto,
  })
  retry(@DeliveryId() id: number): Promise<WebhookDeliveryDto> {
    return this.webhooks.retry(id);
  }
}
