/**
 * Replicated stateful services (DESIGN.md G1-G7): journaled writes, live delivery with failover,
 * reliable shadowing and ordered replay. Starting points: {@link io.outpost.replication.ReplicatedService},
 * {@link io.outpost.replication.Replication}, {@link io.outpost.replication.Replicator}.
 */
package io.outpost.replication;
