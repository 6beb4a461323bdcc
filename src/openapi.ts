import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

/** Every tag an operation may carry, with what integrators read about it. */
const TAGS: Record<string, string> = {
  rooms: 'Rooms, join tokens, the participants connected now and the lobby.',
  media: 'What each participant sends and receives right now, and host controls over it.',
  audit:
    'The chat audit trail, public and private messages with sender and recipient: list, export and verify the hash chain (scope `audit:read`).',
  'api-keys': 'API keys and their scopes; a secret is shown once, when the key is created.',
  webhooks: 'Webhook deliveries: what was sent where, how it went, and retrying a failed one.',
  health: 'Liveness and readiness probes for Kubernetes; they take no API key.',
};

/** Path parameters by name, the same meaning wherever they appear. */
const PATH_PARAMETERS: Record<string, string> = {
  roomId: 'The room’s id (a UUID, as returned when the room was created).',
  participantId: 'The participant’s id (a UUID, as returned with their join token).',
  id: 'The API key’s id (a UUID, as listed by GET /api/v1/api-keys).',
  deliveryId: 'The delivery’s id (an integer, as listed by GET /api/v1/webhooks/deliveries).',
};

interface OperationLike {
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { in?: string; name?: string; description?: string }[];
}

/** The OpenAPI document of the admin API, as served at /docs-json and committed as openapi.json. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('convene admin API')
    .setDescription(
      'Rooms, join tokens, participants and the chat audit trail of a convene deployment. ' +
        'Every /api/v1 route takes an API key in the X-API-Key header. Errors are ' +
        '`{ "error": { "code", "message", "requestId" } }` with a stable `code`.',
    )
    .setVersion('1')
    .addServer('{origin}', 'This deployment', {
      origin: {
        default: 'http://localhost:3000',
        description: 'Where convene is served: scheme, host and port, without a trailing slash',
      },
    })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key');
  for (const [name, description] of Object.entries(TAGS)) builder.addTag(name, description);
  const config = builder.build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controller, method) =>
      `${controller.replace(/Controller$/, '')}_${method}`,
  });
  for (const item of Object.values(document.paths))
    for (const operation of Object.values(item as Record<string, OperationLike>)) {
      // Public routes (health) say so: no security rather than none declared.
      if (operation.tags?.includes('health')) operation.security ??= [];
      for (const parameter of operation.parameters ?? [])
        if (parameter.in === 'path' && parameter.name && !parameter.description)
          parameter.description = PATH_PARAMETERS[parameter.name];
    }
  return document;
}
