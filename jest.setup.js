// Integration tests start real servers: give each test 30 s (Nx's Jest executor ignores a
// `testTimeout` in project configs, so it is set here).
jest.setTimeout(30_000);
