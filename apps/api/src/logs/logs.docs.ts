/** The logs routes' query parameters, for the OpenAPI document. */
export const LOGS_QUERY_DOC = [
  { name: 'tail', description: 'only the last N lines (per task)', type: 'integer' as const },
  { name: 'since', description: 'only lines after this ISO 8601 time' },
  { name: 'follow', description: 'true: stay open and stream new lines', type: 'boolean' as const },
  { name: 'timestamps', description: 'accepted for clients; every line carries `time`', type: 'boolean' as const },
];
