package io.outpost.upstream;

import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * A random generator that can be handed to code running on any thread: every call draws from the
 * calling thread's {@link ThreadLocalRandom}. The instance {@code ThreadLocalRandom.current()}
 * returns must not be handed on instead: used from a thread that never called {@code current()}
 * itself, it draws from an unseeded state and gives the same numbers in every process, so that
 * jitter and random picks would line up across restarts and across gateways.
 */
public final class PerThreadRandom implements RandomGenerator {

    public static final RandomGenerator INSTANCE = new PerThreadRandom();

    private PerThreadRandom() {}

    @Override
    public long nextLong() {
        return ThreadLocalRandom.current().nextLong();
    }

    @Override
    public int nextInt() {
        return ThreadLocalRandom.current().nextInt();
    }

    @Override
    public int nextInt(int bound) {
        return ThreadLocalRandom.current().nextInt(bound);
    }

    @Override
    public long nextLong(long bound) {
        return ThreadLocalRandom.current().nextLong(bound);
    }

    @Override
    public double nextDouble() {
        return ThreadLocalRandom.current().nextDouble();
    }
}
