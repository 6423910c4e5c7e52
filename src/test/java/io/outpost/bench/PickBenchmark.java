package io.outpost.bench;

import io.outpost.upstream.Cluster;
import io.outpost.upstream.Endpoint;
import io.outpost.upstream.lb.LbPolicy;
import io.outpost.upstream.lb.LoadBalancer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One pick per policy over 100 endpoints (weights 1-4): the bare balancer, and the full cluster
 * pick (priority level choice included). Keys cycle through 4096 precomputed hashes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PickBenchmark {

    @Param({"roundRobin", "leastRequest", "random", "ringHash", "maglev"})
    public String policy;

    private LoadBalancer balancer;
    private Cluster cluster;
    private final long[] hashes = new long[4096];
    private int next;

    @Setup
    public void setUp() {
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            endpoints.add(Endpoint.of("http://10.0." + (i / 250) + "." + (i % 250 + 1) + ":8080", 1 + i % 4, 0));
        }
        balancer = LbPolicy.fromName(policy).create(endpoints, ThreadLocalRandom.current());
        cluster = Cluster.builder("bench").endpoints(endpoints).policy(policy)
                .random(ThreadLocalRandom.current()).build();
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < hashes.length; i++) {
            hashes[i] = random.nextLong();
        }
    }

    @Benchmark
    public Endpoint balancerPick() {
        return balancer.pick(hashes[next++ & 4095]);
    }

    @Benchmark
    public Endpoint clusterPick() {
        return cluster.pick(hashes[next++ & 4095]);
    }
}
