package io.outpost.replication;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Asynchronous lanes: tasks with the same key run one after another (each starts when the previous
 * one's future has completed), tasks with different keys run in parallel. This is how writes of one
 * session are serialised end to end, and how deliveries to one replica for one session never overlap.
 * A lane holds no thread and disappears when it is empty.
 *
 * <p>Each key's tasks start on that key's executor. The replicated service gives every session one
 * delivery event loop ({@link SessionLoops}), so a write, its deliveries and their answers stay on one
 * thread instead of hopping between pools.
 */
final class Lanes<K> {

    private final ConcurrentHashMap<K, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
    private final Function<? super K, ? extends Executor> executors;

    Lanes(Function<? super K, ? extends Executor> executors) {
        this.executors = executors;
    }

    /** Runs {@code task} on the key's executor once every task submitted before it with {@code key} has ended. */
    <T> CompletableFuture<T> submit(K key, Supplier<CompletableFuture<T>> task) {
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
        Executor executor = executors.apply(key);
        if (previous[0] == null) {
            executor.execute(run);
        } else {
            previous[0].whenCompleteAsync((v, e) -> run.run(), executor);
        }
        return result;
    }

    /** True while a task with {@code key} is queued or running. */
    boolean busy(K key) {
        return tails.containsKey(key);
    }

    int size() {
        return tails.size();
    }
}
