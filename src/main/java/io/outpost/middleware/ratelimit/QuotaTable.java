package io.outpost.middleware.ratelimit;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The counters of one quota: per key, the fixed window it counts in and the requests counted there. A
 * key's counter resets when a request arrives in a later window. The table holds at most
 * {@code maxKeys} keys; when full it first drops keys whose window has ended, and if none has, a new key
 * is refused rather than an old one forgotten (forgetting would hand out a fresh quota).
 */
public final class QuotaTable {

    /** Result of {@link #tryAcquire} when the table is full of live keys. */
    public static final long FULL = -2;
    /** Result of {@link #tryAcquire} when the key's quota for this window is used up. */
    public static final long EXHAUSTED = -1;

    static final class Window {
        long start;
        long count;

        Window(long start, long count) {
            this.start = start;
            this.count = count;
        }
    }

    private final ConcurrentHashMap<String, Window> windows;
    private volatile int maxKeys = Integer.MAX_VALUE;
    private volatile boolean dirty;
    private volatile long purgedFor = Long.MIN_VALUE;

    QuotaTable(Map<String, Window> loaded) {
        windows = new ConcurrentHashMap<>(loaded);
    }

    void maxKeys(int max) {
        maxKeys = max;
    }

    /** Counts one request of {@code key} in the window starting at {@code windowStart}; the requests left, or FULL or EXHAUSTED. */
    public long tryAcquire(String key, long windowStart, long limit) {
        Window w = windows.get(key);
        if (w == null) {
            if (windows.size() >= maxKeys && windowStart > purgedFor) {
                // Once per window at most: a flood of new keys must not make every request scan the table.
                purgedFor = windowStart;
                windows.values().removeIf(old -> {
                    synchronized (old) {
                        return old.start < windowStart;
                    }
                });
            }
            if (windows.size() >= maxKeys) {
                return FULL;
            }
            w = windows.computeIfAbsent(key, k -> new Window(windowStart, 0));
        }
        synchronized (w) {
            if (w.start < windowStart) {
                w.start = windowStart;
                w.count = 0;
            }
            if (w.count >= limit) {
                return EXHAUSTED;
            }
            w.count++;
            dirty = true;
            return limit - w.count;
        }
    }

    /** Keys tracked now. */
    public int size() {
        return windows.size();
    }

    boolean takeDirty() {
        boolean was = dirty;
        dirty = false;
        return was;
    }

    void markDirty() {
        dirty = true;
    }

    void write(DataOutputStream out) throws IOException {
        Map<String, long[]> copy = new HashMap<>();
        windows.forEach((k, w) -> {
            synchronized (w) {
                copy.put(k, new long[] {w.start, w.count});
            }
        });
        out.writeInt(copy.size());
        for (Map.Entry<String, long[]> e : copy.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeLong(e.getValue()[0]);
            out.writeLong(e.getValue()[1]);
        }
    }

    static Map<String, Window> read(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            throw new IOException("negative count");
        }
        Map<String, Window> out = new HashMap<>();
        for (int i = 0; i < n; i++) {
            out.put(in.readUTF(), new Window(in.readLong(), in.readLong()));
        }
        return out;
    }
}
