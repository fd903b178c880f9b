import { Module } from '@nestjs/common';
import { OpenApiDocs } from './openapi';

@Module({ providers: [OpenApiDocs] })
export class DocsModule {}
