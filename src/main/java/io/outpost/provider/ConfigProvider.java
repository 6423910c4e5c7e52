package io.outpost.provider;

import io.outpost.config.ConfigResult;
import io.outpost.config.OutpostConfig;
import java.util.Optional;

/**
 * A source of configuration snapshots (a file today; etcd or Kubernetes later). A provider pushes
 * each new valid snapshot to the listener it was built with and keeps the last good one when a
 * change is invalid, so a typo never takes the gateway down.
 */
public interface ConfigProvider extends AutoCloseable {

    /**
     * Loads the configuration once, pushes it if valid, and starts watching for changes. The result
     * tells the caller whether it can start serving.
     */
    ConfigResult start();

    /** The last valid snapshot, if any. */
    Optional<OutpostConfig> current();

    /** Stops watching; no snapshot is pushed after this returns. */
    @Override
    void close();
}
