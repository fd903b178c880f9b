import { ClusterTask, NodeView } from '@silo/contracts';
import { Type } from 'class-transformer';
import { IsArray, IsIn, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';

/** `PATCH /api/v1/nodes/:id`. */
export class NodePatch {
  @IsOptional() @IsIn(['active', 'pause', 'drain']) availability?: 'active' | 'pause' | 'drain';
  @IsOptional() @IsObject() labelsAdd?: Record<string, string>;
  @IsOptional() @IsArray() @IsString({ each: true }) labelsRemove?: string[];
}

export class NodeReply {
  @ValidateNested() @Type(() => NodeView) node!: NodeView;
}

export class NodeDetailReply {
  @ValidateNested() @Type(() => NodeView) node!: NodeView;
  @IsArray() @ValidateNested({ each: true }) @Type(() => ClusterTask) tasks!: ClusterTask[];
}
