import { Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ModuleRef } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { databaseConfig } from '../config/configuration.js';
import { dataSourceOptions } from './data-source-options.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { runPendingMigrations } from './migrations.js';

/** Owns the embedded PostgreSQL server when DATABASE_URL is unset. */
@Injectable()
class DatabaseServer implements OnApplicationShutdown {
  private readonly logger = new Logger('DatabaseServer');
  private embedded: EmbeddedPostgres | undefined;

  constructor(
    @Inject(databaseConfig.KEY) private readonly config: ConfigType<typeof databaseConfig>,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** The URL to connect to: DATABASE_URL, or a started embedded server. */
  async url(): Promise<string> {
    if (this.config.url) return this.config.url;
    this.embedded = new EmbeddedPostgres({
      dataDir: this.config.embeddedDir,
      port: this.config.embeddedPort,
      log: (line) => this.logger.debug(line),
      // Nest's shutdown hooks stop it, after the pool is closed (onApplicationShutdown below).
      ownSignalHandling: true,
    });
    const started = Date.now();
    const url = await this.embedded.start();
    this.logger.log(
      `embedded PostgreSQL ready on port ${this.config.embeddedPort} (data: ${this.config.embeddedDir}) in ${Date.now() - started} ms`,
    );
    return url;
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.embedded) return;
    // Close the pool before the server goes away, so no connection sees an abrupt end.
    const dataSource = this.moduleRef.get(DataSource, { strict: false });
    if (dataSource.isInitialized) await dataSource.destroy();
    await this.embedded.stop();
    this.logger.log('embedded PostgreSQL stopped');
  }
}

@Module({
  providers: [DatabaseServer],
  exports: [DatabaseServer],
})
class DatabaseServerModule {}

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      imports: [DatabaseServerModule],
      inject: [DatabaseServer, databaseConfig.KEY],
      useFactory: async (server: DatabaseServer, config: ConfigType<typeof databaseConfig>) => {
        const url = await server.url();
        // Before the app's pool exists, and on their own connection: its query timeout would
        // cut a long migration short.
        if (config.migrationsRun) await runPendingMigrations(url);
        return {
          ...dataSourceOptions(url, { queryTimeoutMs: config.queryTimeoutMs }),
          retryAttempts: 3,
          retryDelay: 1000,
        };
      },
    }),
  ],
})
export class DatabaseModule {}
