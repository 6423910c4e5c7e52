package io.outpost.cli;

import io.outpost.config.ConfigError;
import io.outpost.runtime.Gateway;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code outpost run -c FILE}: serve until SIGTERM or SIGINT, then drain and exit 0. */
@Command(name = "run", description = "Run the gateway with a configuration file (reloaded when it changes).")
final class RunCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, required = true, description = "configuration file (YAML)")
    Path config;

    @Option(names = "--workers", description = "event loop threads (default: the number of cores)")
    Integer workers;

    @Override
    public Integer call() throws Exception {
        Gateway.Options options = Gateway.Options.defaults();
        if (workers != null) {
            if (workers <= 0) {
                System.err.println("--workers: " + workers + " (expected: > 0)");
                return 2;
            }
            options = options.workers(workers);
        }
        Gateway gateway;
        try {
            gateway = Gateway.start(config, options);
        } catch (Gateway.InvalidConfigurationException e) {
            System.err.println(config + ": invalid configuration");
            for (ConfigError error : e.errors()) {
                System.err.println("  " + error);
            }
            return 2;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        stop.await();
        int left = gateway.shutdown();
        if (left > 0) {
            System.err.println("outpost: stopped with " + left + " requests still in flight after the grace timeout");
        }
        return 0;
    }
}
