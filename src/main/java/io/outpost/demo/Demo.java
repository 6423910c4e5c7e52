package io.outpost.demo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Everything {@code outpost demo} runs, started in order and stopped in reverse: the cloud and
 * edge point-of-sale replicas, the link simulator in front of the cloud one, and the gateway with a
 * generated configuration. The gateway comes in through {@link GatewayLauncher} so that this class
 * does not depend on which services the runtime supports.
 *
 * <pre>{@code
 * try (Demo demo = Demo.start(Settings.defaults(), file -> Gateway.start(file, Gateway.Options.defaults()))) {
 *     System.out.print(demo.guide());
 *     ...
 * }
 * }</pre>
 */
public final class Demo implements AutoCloseable {

    /** Starts the gateway on a configuration file; what it returns is closed when the demo stops. */
    @FunctionalInterface
    public interface GatewayLauncher {
        AutoCloseable start(Path configFile) throws Exception;
    }

    /**
     * @param dataDir where the replicas' sales, the journal, the access log and the configuration go
     * @param fresh   wipe what an earlier run left in {@code dataDir} first
     * @param ports   where everything listens
     */
    public record Settings(Path dataDir, boolean fresh, DemoPorts ports) {
        public static final Path DEFAULT_DATA = Path.of("data", "demo");

        public Settings {
            Objects.requireNonNull(dataDir, "dataDir");
            Objects.requireNonNull(ports, "ports");
        }

        public static Settings defaults() {
            return new Settings(DEFAULT_DATA, false, DemoPorts.defaults());
        }
    }

    /** What an earlier run leaves in the data directory; {@code --fresh} deletes these and nothing else. */
    static final List<String> OWN_FILES = List.of("cloud", "edge", "journal", "access.log", DemoConfig.FILE);

    /**
     * Locked while a demo runs on a data directory. A second demo on the same directory would rewrite the
     * running one's configuration (which its gateway reloads), append to its sales files and, with
     * {@code --fresh}, delete them; it is refused before it touches anything.
     */
    static final String LOCK_FILE = "demo.lock";

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final Settings settings;
    private PosService cloud;
    private PosService edge;
    private Link link;
    private DemoPorts ports;
    private Path configFile;

    private Demo(Settings settings) {
        this.settings = settings;
    }

    /** Starts everything, or nothing: on failure what was started is stopped again. */
    public static Demo start(Settings settings, GatewayLauncher gateway) throws Exception {
        Demo demo = new Demo(settings);
        try {
            demo.startAll(gateway);
        } catch (Exception | Error e) {
            demo.close();
            throw e;
        }
        return demo;
    }

    private void startAll(GatewayLauncher gateway) throws Exception {
        Path data = settings.dataDir();
        Files.createDirectories(data);
        own(lock(data));
        if (settings.fresh()) {
            wipe(data);
        }
        Files.createDirectories(data);
        DemoPorts want = settings.ports();
        cloud = own(PosService.start("cloud", loopback(want.cloud()), data.resolve("cloud")));
        edge = own(PosService.start("edge", loopback(want.edge()), data.resolve("edge")));
        link = own(Link.start(loopback(want.link()), cloud.address(), loopback(want.control())));
        ports = new DemoPorts(want.gateway(), want.admin(), link.address().getPort(), cloud.address().getPort(),
                edge.address().getPort(), link.controlAddress().getPort());
        configFile = data.resolve(DemoConfig.FILE);
        Files.writeString(configFile, DemoConfig.yaml(ports, data), StandardCharsets.UTF_8);
        own(gateway.start(configFile));
    }

    /** Locks {@code data} for this demo; closing what it returns lets go. */
    private static AutoCloseable lock(Path data) throws IOException {
        FileChannel channel = FileChannel.open(data.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by another demo in this JVM
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new IOException("data directory " + data + " is in use by another demo");
        }
        return channel::close; // releases the lock
    }

    private <T extends AutoCloseable> T own(T resource) {
        started.push(resource);
        return resource;
    }

    private static InetSocketAddress loopback(int port) {
        return new InetSocketAddress("127.0.0.1", port);
    }

    /** Deletes what an earlier run left in {@code dir}, and only that. */
    static void wipe(Path dir) throws IOException {
        for (String name : OWN_FILES) {
            Path path = dir.resolve(name);
            if (!Files.exists(path)) {
                continue;
            }
            try (Stream<Path> tree = Files.walk(path)) {
                for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    public PosService cloud() {
        return cloud;
    }

    public PosService edge() {
        return edge;
    }

    public Link link() {
        return link;
    }

    /** The ports in use: those asked for, with any 0 replaced by the one bound. */
    public DemoPorts ports() {
        return ports;
    }

    public Path configFile() {
        return configFile;
    }

    public String guide() {
        return DemoGuide.text(ports, settings.dataDir());
    }

    /** Stops the gateway first, then the link, then the replicas; reports the first failure after trying all. */
    @Override
    public void close() throws Exception {
        Exception first = null;
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
