package io.outpost.replication;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Asynchronous lanes: tasks with the same key run one after another (each starts when the previous
 * one's future has completed), tasks with different keys run in parallel. This is how writes of one
 * session are serialised end to end, and how deliveries to one replica for one session never overlap.
 * A lane holds no thread and disappears when it is empty.
 *
 * <p>Each task starts on the executor it is submitted with; the replicated service passes an event
 * loop ({@link SessionLoops}), so a write, its live delivery and the answer stay on one thread instead
 * of hopping between pools. Order within a key does not depend on the executors.
 */
final class Lanes<K> {

    private final ConcurrentHashMap<K, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
    /** Runs {@code task} on {@code executor} once every task submitted before it with {@code key} has ended. */
    <T> CompletableFuture<T> submit(K key, Executor executor, Supplier<CompletableFuture<T>> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        @SuppressWarnings("unchecked")
        CompletableFuture<Void>[] previous = new CompletableFuture[1];
        tails.compute(key, (k, tail) -> {
            previous[0] = tail;
            return done;
        });
        Runnable run = () -> {
            CompletableFuture<T> f;
            try {
                f = task.get();
            } catch (Throwable t) {
                f = CompletableFuture.failedFuture(t);
            }
            f.whenComplete((v, error) -> {
                tails.remove(key, done);
                done.complete(null);
                if (error != null) {
                    result.completeExceptionally(error);
                } else {
                    result.complete(v);
                }
            });
        };
        if (previous[0] == null) {
            executor.execute(run);
        } else {
            previous[0].whenCompleteAsync((v, e) -> run.run(), executor);
        }
        return result;
    }

    /**
     * Completes once every task submitted so far has ended (tasks submitted later are not waited for).
     * Never fails.
     */
    CompletableFuture<Void> drained() {
        return CompletableFuture.allOf(tails.values().toArray(CompletableFuture[]::new));
    }

    /** True while a task with {@code key} is queued or running. */
    boolean busy(K key) {
        return tails.containsKey(key);
    }

    int size() {
        return tails.size();
    }
}
