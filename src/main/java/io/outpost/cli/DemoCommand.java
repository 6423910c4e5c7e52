package io.outpost.cli;

import io.outpost.config.ConfigError;
import io.outpost.demo.Demo;
import io.outpost.demo.DemoPorts;
import io.outpost.runtime.Gateway;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * {@code outpost demo}: the gateway in front of a sample point-of-sale service replicated to a
 * cloud and an edge instance, with a link simulator to cut the cloud off. Prints what to try, then
 * runs until SIGINT or SIGTERM and exits 0.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Run the gateway with sample cloud and edge replicas and print what to try.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "DIR", description = "where sales, journal and logs go (default: data/demo)")
    Path data = Demo.Settings.DEFAULT_DATA;

    @Option(names = "--fresh", description = "start from empty replicas and journal")
    boolean fresh;

    @Option(names = "--port-base", paramLabel = "PORT",
            description = "link PORT, cloud PORT+1, edge PORT+2, link control PORT+9 (default: 9100)")
    int portBase = DemoPorts.DEFAULT_BASE;

    @Option(names = "--gateway-port", paramLabel = "PORT", description = "entry point PORT, admin PORT+1 (default: 8080)")
    int gatewayPort = DemoPorts.DEFAULT_GATEWAY;

    @Override
    public Integer call() throws Exception {
        DemoPorts ports;
        try {
            ports = DemoPorts.of(gatewayPort, portBase);
        } catch (IllegalArgumentException e) {
            System.err.println("outpost demo: " + e.getMessage());
            return 2;
        }
        Demo demo;
        try {
            demo = Demo.start(new Demo.Settings(data, fresh, ports),
                    file -> Gateway.start(file, Gateway.Options.defaults()));
        } catch (Gateway.InvalidConfigurationException e) {
            System.err.println("outpost demo: the generated configuration is invalid:");
            e.errors().stream().map(ConfigError::toString).forEach(line -> System.err.println("  " + line));
            return 2;
        } catch (IOException e) {
            System.err.println("outpost demo: " + e.getMessage()
                    + " (another demo running? give this one its own --data, --port-base and --gateway-port)");
            return 1;
        } catch (RuntimeException e) {
            System.err.println("outpost demo: the gateway did not start: " + e.getMessage());
            System.err.println("  (this build may not include the replicated service yet; see the log above)");
            return 1;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        System.out.print(demo.guide());
        System.out.flush();
        stop.await();
        demo.close();
        System.out.println("outpost demo: stopped; sales kept under " + data);
        return 0;
    }
}
