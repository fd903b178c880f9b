import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'silo:public';
export const QUERY_TOKEN = 'silo:query-token';

/** The route needs no credentials (health, login, the dashboard's files, the API docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The route also accepts `?access_token=<session token>` (SSE and WebSocket: browsers cannot set headers). */
export const AllowQueryToken = () => SetMetadata(QUERY_TOKEN, true);
