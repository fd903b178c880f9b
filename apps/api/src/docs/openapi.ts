import { Injectable, OnModuleInit } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { siloVersion } from '@silo/service-kit';

const REF_PREFIX = '#/components/schemas/';

/** class-transformer's @Type metadata (nested classes); the package ships no types for this path. */
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: MetadataStorage };

/** `{ code, message, details }`: every error the api answers. */
const ERROR_BODY_SCHEMA = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', example: 'VALIDATION_FAILED' },
    message: { type: 'string' },
    details: {
      type: 'array',
      description: 'for VALIDATION_FAILED: one entry per problem',
      items: { type: 'object', properties: { path: { type: 'string', example: 'replicas' }, problems: { type: 'array', items: { type: 'string' } } } },
    },
  },
};

/**
 * The OpenAPI document of the running api (`/api/docs-json`, Swagger UI at `/api/docs`). The
 * build uses SWC (no swagger CLI plugin), so component schemas are generated from the contracts'
 * class-validator metadata and the operations reference them by class name.
 */
export function buildOpenApiDocument(app: Parameters<typeof SwaggerModule.createDocument>[0], version: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Silo API')
    .setDescription('The REST API of Silo (apps/api/API.md). Errors are always `{ code, message, details }`.')
    .setVersion(version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'a session token from POST /api/v1/auth/login, or a registry JWT' })
    .addBasicAuth({ type: 'http', scheme: 'basic', description: 'user and password, or robot name and token' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  const schemas = validationMetadatasToSchemas({
    refPointerPrefix: REF_PREFIX,
    classTransformerMetadataStorage: defaultMetadataStorage,
  }) as Record<string, object>;
  document.components ??= {};
  document.components.schemas = { ...schemas, ...document.components.schemas, ErrorBody: ERROR_BODY_SCHEMA };
  // Contract classes without validated fields have no metadata: any referenced one is an object.
  for (const name of referencedSchemas(document)) {
    document.components.schemas[name] ??= { type: 'object', description: name === 'ServicePatch' ? 'a partial ServiceSpec (JSON merge patch)' : undefined };
  }
  return document;
}

function referencedSchemas(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) referencedSchemas(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(REF_PREFIX)) out.add(v.slice(REF_PREFIX.length));
      else referencedSchemas(v, out);
    }
  }
  return out;
}

/**
 * Mounts Swagger UI and the JSON document while the app initializes (routes added later would sit
 * behind Nest's 404 handler). SwaggerModule wants the application; the api is started by the
 * service kit's bootstrap, so it gets the few parts it reads: the modules, the HTTP adapter, a
 * (default) application config.
 */
@Injectable()
export class OpenApiDocs implements OnModuleInit {
  constructor(
    private readonly modules: ModulesContainer,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return;
    const modules = this.modules;
    const app = {
      container: { getModules: () => modules, isGlobalModule: () => false },
      config: new ApplicationConfig(),
      getHttpAdapter: () => adapter,
      useStaticAssets: (path: string, options: object) => (adapter as unknown as { useStaticAssets(p: string, o: object): void }).useStaticAssets(path, options),
    } as unknown as Parameters<typeof SwaggerModule.createDocument>[0];
    SwaggerModule.setup('api/docs', app, () => buildOpenApiDocument(app, siloVersion()), {
      jsonDocumentUrl: 'api/docs-json',
      yamlDocumentUrl: 'api/docs-yaml',
    });
  }
}
