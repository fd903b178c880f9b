/**
 * # Placement engine — public API
 *
 * A pure module: no Nest, no I/O, no clock. Same snapshot + tasks + options (seed) → same result.
 *
 * ```ts
 * import { place, PlacementEngine } from './placement';
 *
 * // One call: builds the working state from the snapshot, places the batch, returns the result.
 * const result = place(snapshot, tasks, { seed: 1 });
 *
 * // Or keep an engine for several batches against the same snapshot (each batch sees the previous ones):
 * const engine = new PlacementEngine(snapshot);
 * engine.place(batch1); engine.place(batch2, { preemption: false });
 * ```
 *
 * - `ClusterSnapshot` — `nodes: NodeSnapshot[]`: id, hostname, availability (`active|pause|drain`),
 *   state (`ready|down`), labels, platform {os, arch}, capacity / allocatable {cpuMillis,
 *   memoryBytes, pids?}, usedPorts {tcp?, udp?} (held by things that are not listed tasks), layers
 *   (digests present), tasks (`RunningTask`: taskId, serviceId, priority, resources, hostPorts).
 *   Build it from the nodes' heartbeats (NodeHeartbeatEvent: allocatable, labels, images[].layers)
 *   plus the scheduler's own assignments.
 * - `TaskToPlace` — taskId, serviceId, resources, hostPorts, constraints (`node.labels.zone==eu`,
 *   `node.hostname!=h1`, `node.id==…`, `node.platform.arch==amd64`, `node.platform.os==linux`),
 *   preferences (`spread=node.labels.<key>`), maxReplicasPerNode, priority, image.layers (digest,
 *   sizeBytes), strategy (`spread` default | `binpack`), platforms.
 * - `PlaceOptions` — seed, preemption (default true), percentageOfNodesToScore (default 100 = exact)
 *   and minNodesToScore, weights {resources, imageLocality}.
 * - `PlaceResult` — `placements` (taskId → nodeId/hostname, in input order; with `evictions` and a
 *   `reason` like "preempts 2 tasks of priority 0 on node h2" when it preempted), `pending`
 *   (`PendingTask`: `message` "3 nodes: insufficient memory (needs 512Mi, most free 256Mi); 2 nodes:
 *   constraint node.labels.zone==eu not met; 1 node: paused" and `reasons[]` {code, nodes, message,
 *   constraint?, port?, needs?, mostFree?, platforms?, limit?} for the API), `stats`.
 *
 * Semantics:
 * - Filters: node ready, availability active, platform, constraints, max replicas per node, host
 *   ports free (per protocol), CPU / memory / pids fit in allocatable minus what tasks hold.
 * - Scores: fewest tasks of the same service on the node first (spread; not for binpack), after
 *   balancing the values of each preference label as Swarm does (nodes without the label form
 *   one group); then least-allocated (spread) or most-allocated (binpack) CPU+memory, weighted
 *   with image locality (share of the image's bytes present). Equal nodes: seeded rank.
 * - A batch is placed in order of priority (highest first), then input order; each placement
 *   consumes resources and ports and counts for spread, so 6 replicas on 3 equal nodes → 2/2/2.
 * - Preemption: when nothing fits a task, the node where evicting tasks of strictly lower priority
 *   makes it fit with the lowest highest-victim priority, then fewest victims. Evicted tasks are
 *   returned, not re-placed: the reconciler stops them and places them again in a later round.
 * - Invalid specs (bad constraint, preference, port…) are pending with code `invalid-spec` and every
 *   problem; `validateTaskSpec` / `parseConstraint` let callers reject them earlier. A task id that
 *   already holds a place (snapshot, earlier batch, or twice in one batch) is pending `duplicate-task`.
 * - Sampling (`percentageOfNodesToScore` < 100) applies to spread-strategy groups with few tasks:
 *   faster for batches of one-task services, slightly less tight packing; spread stays even.
 * - `auditPlacement(snapshot, tasks, result)` re-checks a result independently (capacity, ports,
 *   constraints, platform, max per node, evictions) and lists every violation.
 */
import { PlacementEngine } from './engine';
import { ClusterSnapshot, PlaceOptions, PlaceResult, TaskToPlace } from './types';

export * from './types';
export { PlacementEngine } from './engine';
export { auditPlacement } from './audit';
export type { Constraint, Preference } from './constraints';
export { parseConstraint, parsePreference, PlacementSpecError, validateTaskSpec } from './constraints';

/** Places a batch of tasks on a snapshot (which it does not modify). */
export function place(snapshot: ClusterSnapshot, tasks: TaskToPlace[], options: PlaceOptions = {}): PlaceResult {
  return new PlacementEngine(snapshot).place(tasks, options);
}
