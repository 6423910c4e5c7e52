package io.outpost.cli;

import io.outpost.config.ConfigError;
import io.outpost.runtime.Gateway;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code outpost run -c FILE}: serve until SIGTERM or SIGINT, then drain and exit 0. An invalid file
 * exits 2 with every error (as {@code check}); any other start-up failure (a port in use, a certificate
 * file that changed after validation) exits 1 with one line saying why, not a stack trace.
 */
@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Run the gateway with a configuration file (reloaded when it changes).")
final class RunCommand implements Callable<Integer> {

    static final int START_FAILED = 1;

    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, required = true, description = "configuration file (YAML)")
    Path config;

    @Option(names = "--workers", description = "event loop threads (default: the number of cores)")
    Integer workers;

    @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "15s",
            description = "at most this long, before opening the entry points, send requests through the proxy "
                    + "path to an in-process stand-in upstream until the JIT compiler is quiet; 0 skips it "
                    + "(default: ${DEFAULT-VALUE})")
    String warmup;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Gateway.Options options = Gateway.Options.defaults();
        if (workers != null) {
            if (workers <= 0) {
                err.println("--workers: " + workers + " (expected: > 0)");
                err.flush();
                return CheckCommand.INVALID;
            }
            options = options.workers(workers);
        }
        Duration budget;
        try {
            budget = io.outpost.config.Durations.parse(warmup);
        } catch (IllegalArgumentException e) {
            err.println("--warmup: " + e.getMessage());
            err.flush();
            return CheckCommand.INVALID;
        }
        options = options.warmup(budget);
        Gateway gateway;
        try {
            gateway = Gateway.start(config, options);
        } catch (Gateway.InvalidConfigurationException e) {
            err.println(config + ": invalid configuration");
            for (ConfigError error : e.errors()) {
                err.println("  " + error);
            }
            err.flush();
            return CheckCommand.INVALID;
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            // Netty rethrows a failed bind's checked exception undeclared, hence Exception here.
            log.debug("start-up failed", e);
            err.println("outpost: the gateway did not start: " + reason(e));
            err.flush();
            return START_FAILED;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        stop.await();
        int left = gateway.shutdown();
        if (left > 0) {
            err.println("outpost: stopped with " + left + " requests still in flight after the grace timeout");
        }
        return 0;
    }

    private static String reason(Exception e) {
        return e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage();
    }
}
