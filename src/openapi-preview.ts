import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { buildOpenApiDocument } from './openapi.js';

/**
 * The OpenAPI document as canonical JSON, built in Nest's preview mode: modules are scanned
 * but no provider starts, so no database or media worker is needed.
 */
export async function generateOpenApiJson(): Promise<string> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  try {
    return `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
