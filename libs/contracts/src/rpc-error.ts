/** The structured error every RPC reply carries on failure (never a bare string). */
export interface RpcErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

export function isRpcErrorBody(value: unknown): value is RpcErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as RpcErrorBody).code === 'string' &&
    typeof (value as RpcErrorBody).message === 'string'
  );
}
