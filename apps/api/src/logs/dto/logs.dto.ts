import { IsIn, IsISO8601, IsOptional, Matches } from 'class-validator';

const BOOL = ['true', 'false', '1', '0'];

/** `?tail=N&since=ISO&follow=true&timestamps=true` of the logs routes. */
export class LogsQuery {
  @IsOptional() @Matches(/^\d{1,9}$/, { message: 'tail must be a whole number' }) tail?: string;
  @IsOptional() @IsISO8601({}, { message: 'since must be an ISO 8601 time' }) since?: string;
  @IsOptional() @IsIn(BOOL, { message: 'follow must be true or false' }) follow?: string;
  @IsOptional() @IsIn(BOOL, { message: 'timestamps must be true or false' }) timestamps?: string;
}

export const isTrue = (value: string | undefined) => value === 'true' || value === '1';
