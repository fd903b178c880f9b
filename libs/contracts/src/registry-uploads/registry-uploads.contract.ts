import { MAX_REPOSITORY_NAME_LENGTH, REPOSITORY_NAME_PATTERN } from '@silo/domain';
import { IsInt, IsUUID, Matches, MaxLength, Min } from 'class-validator';
import { DIGEST_PATTERN } from '../layer-store/layer-store.contract';

/**
 * Direct uploads (`SILO_REGISTRY_UPLOAD_DELIVERY=direct`): the registry starts a blob upload and
 * hands the client a signed Location on the layer store, which takes the bytes itself. The layer
 * store then tells the registry how the upload ended, before it answers the client.
 */

/**
 * `silo.registry.upload.commit` (command, layer store → registry): the upload was verified and
 * committed as `digest`. The registry checks the team's quota (`DENIED` past it), links the blob
 * to the repository and ends the upload session (`BLOB_UPLOAD_UNKNOWN` if there is none).
 */
export class UploadCommitRequest {
  @MaxLength(MAX_REPOSITORY_NAME_LENGTH) @Matches(REPOSITORY_NAME_PATTERN) repository!: string;
  @IsUUID() uploadId!: string;
  @Matches(DIGEST_PATTERN) digest!: string;
  @IsInt() @Min(0) size!: number;
}

export class UploadCommitReply {
  @Matches(DIGEST_PATTERN) digest!: string;
  @IsInt() @Min(0) size!: number;
}

/**
 * `silo.registry.upload.end` (command, layer store → registry): the upload ended without a blob
 * (the client cancelled it, or its digest did not match); the registry drops its session.
 */
export class UploadEndRequest {
  @MaxLength(MAX_REPOSITORY_NAME_LENGTH) @Matches(REPOSITORY_NAME_PATTERN) repository!: string;
  @IsUUID() uploadId!: string;
}

export class UploadEndReply {}
