import { Cluster } from './cluster';
it('smoke', async () => {
  const c = await Cluster.start({ log: console.log });
  try {
    console.log(c.natsUrl, c.registryUrl, (await c.nodes()).map((n) => n.nodeId));
    await c.kill(c.hosts[0]!);
    await new Promise((r) => setTimeout(r, 5000));
    console.log(c.nodeEvents);
    await c.revive(c.hosts[0]!);
    await new Promise((r) => setTimeout(r, 3000));
    console.log(c.nodeEvents);
  } finally {
    await c.stop();
    console.log('leftovers', c.leftovers());
  }
}, 200000);
