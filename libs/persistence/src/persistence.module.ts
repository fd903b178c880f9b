import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { createDataSourceOptions, DatabaseSettings, prepareDatabase } from './data-source.factory';
import { DatabaseIndicator } from './database.indicator';

/**
 * The app's database: TypeORM over the shared factory; migrations run before the app serves.
 * The DataSource is closed by TypeORM's module at shutdown, after the transports stop.
 */
@Module({})
export class PersistenceModule {
  static forRoot(settings: DatabaseSettings): DynamicModule {
    const options = createDataSourceOptions(settings);
    return {
      module: PersistenceModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => options,
          dataSourceFactory: async (opts = options) => {
            await prepareDatabase(opts);
            return new DataSource(opts).initialize();
          },
        }),
      ],
      providers: [DatabaseIndicator],
      exports: [DatabaseIndicator, TypeOrmModule],
    };
  }
}
