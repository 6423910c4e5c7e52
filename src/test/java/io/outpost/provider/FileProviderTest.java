package io.outpost.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.config.ConfigResult;
import io.outpost.config.OutpostConfig;
import io.outpost.provider.FileProvider.Outcome;
import io.outpost.provider.FileProvider.Reload;
import io.outpost.tls.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileProviderTest {

    @TempDir
    Path dir;

    private final List<OutpostConfig> pushed = new CopyOnWriteArrayList<>();
    private final List<Reload> reloads = new CopyOnWriteArrayList<>();
    private FileProvider provider;

    @AfterEach
    void close() {
        if (provider != null) {
            provider.close();
        }
    }

    private static String config(int port) {
        return """
                entryPoints: { web: { address: "127.0.0.1:%d" } }
                http:
                  routers: { a: { rule: "Path(`/a`)", service: s } }
                  services: { s: { loadBalancer: { endpoints: [ { url: "http://127.0.0.1:9001" } ] } } }
                """.formatted(port);
    }

    private static int port(OutpostConfig config) {
        return config.entryPoints().get("web").address().port();
    }

    private Path file;

    private ConfigResult start(String content, boolean watch) throws IOException {
        file = Files.writeString(dir.resolve("outpost.yaml"), content);
        provider = FileProvider.builder(file, pushed::add).useWatchService(watch).onReload(reloads::add).build();
        return provider.start();
    }

    @Test
    void firstLoadIsPushedAndReturned() throws IOException {
        ConfigResult first = start(config(18080), true);

        assertThat(first.isValid()).isTrue();
        assertThat(pushed).extracting(FileProviderTest::port).containsExactly(18080);
        assertThat(provider.current()).map(FileProviderTest::port).contains(18080);
    }

    @Test
    void aChangeIsSwappedInWellUnderASecond() throws IOException {
        start(config(18080), true);

        Files.writeString(file, config(18081));

        await().atMost(Duration.ofSeconds(1)).until(() -> pushed.size() == 2);
        assertThat(pushed).extracting(FileProviderTest::port).containsExactly(18080, 18081);
        assertThat(provider.current()).map(FileProviderTest::port).contains(18081);
    }

    @Test
    void aSaveWrittenInStepsIsReadOnceWhenItIsDone() throws IOException {
        file = Files.writeString(dir.resolve("outpost.yaml"), config(18080));
        Duration quiet = Duration.ofSeconds(1);
        provider = FileProvider.builder(file, pushed::add).debounce(quiet).onReload(reloads::add).build();
        provider.start();

        // A writer saves in steps; meanwhile another file in the directory changes (an editor's backup).
        Files.writeString(file, config(18081));
        await().during(Duration.ofMillis(200)).atMost(quiet).until(() -> reloads.size() == 1);
        Files.writeString(dir.resolve("outpost.yaml~"), config(18080));
        await("read before the file was quiet").during(Duration.ofMillis(200)).atMost(quiet)
                .until(() -> reloads.size() == 1);
        Files.writeString(file, config(18082));

        await().atMost(quiet.multipliedBy(3)).until(() -> pushed.size() >= 2);
        assertThat(pushed).extracting(FileProviderTest::port).containsExactly(18080, 18082);
        assertThat(reloads).extracting(Reload::outcome).containsExactly(Outcome.APPLIED, Outcome.APPLIED);
    }

    @Test
    void anInvalidFileIsIgnoredAndAFixedOneAccepted() throws IOException {
        start(config(18080), true);

        Files.writeString(file, config(18081).replace("service: s", "service: nope"));
        await().atMost(Duration.ofSeconds(2)).until(() -> reloads.stream().anyMatch(r -> r.outcome() == Outcome.REJECTED));

        assertThat(reloads.get(reloads.size() - 1).errors()).extracting(Object::toString)
                .containsExactly("http.routers.a.service: unknown service 'nope'");
        assertThat(pushed).extracting(FileProviderTest::port).containsExactly(18080);
        assertThat(provider.current()).map(FileProviderTest::port).contains(18080);

        Files.writeString(file, config(18082));
        await().atMost(Duration.ofSeconds(2)).until(() -> pushed.size() == 2);
        assertThat(pushed).extracting(FileProviderTest::port).containsExactly(18080, 18082);
    }

    @Test
    void unchangedContentIsNotPushedAgain() throws IOException {
        start(config(18080), true);

        Files.writeString(file, config(18080));
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
        await().atMost(Duration.ofSeconds(2)).until(() -> reloads.stream().anyMatch(r -> r.outcome() == Outcome.UNCHANGED));

        assertThat(pushed).hasSize(1);
        Files.writeString(file, config(18083));
        await().atMost(Duration.ofSeconds(2)).until(() -> pushed.size() == 2);
        assertThat(pushed).extracting(FileProviderTest::port).containsExactly(18080, 18083);
    }

    @Test
    void aFileReplacedByRenameIsPickedUp() throws IOException {
        start(config(18080), true);

        Path temp = Files.writeString(dir.resolve(".outpost.yaml.swp"), config(18084));
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        await().atMost(Duration.ofSeconds(1)).until(() -> pushed.size() == 2);
        assertThat(provider.current()).map(FileProviderTest::port).contains(18084);
    }

    @Test
    void thePeriodicCheckAloneFindsChanges() throws IOException {
        start(config(18080), false);

        Files.writeString(file, config(18085));
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));

        await().atMost(Duration.ofSeconds(1)).until(() -> pushed.size() == 2);
        assertThat(provider.current()).map(FileProviderTest::port).contains(18085);
    }

    @Test
    void anInvalidFirstFileReportsItsErrorsAndPushesNothing() throws IOException {
        ConfigResult first = start("entryPoints: { web: { address: nowhere } }", true);

        assertThat(first.errors()).extracting(Object::toString).containsExactly(
                "entryPoints.web.address: \"nowhere\" is not an address (expected: host:port, for example \"127.0.0.1:8080\")");
        assertThat(pushed).isEmpty();
        assertThat(provider.current()).isEmpty();

        Files.writeString(file, config(18086));
        await().atMost(Duration.ofSeconds(2)).until(() -> pushed.size() == 1);
        assertThat(provider.current()).map(FileProviderTest::port).contains(18086);
    }

    /**
     * Kubernetes mounts a ConfigMap as {@code outpost.yaml -> ..data/outpost.yaml} and {@code ..data ->
     * ..<timestamp>}; an update writes a new timestamped directory and renames a new {@code ..data}
     * link over the old one, so the file's own name never changes.
     */
    @Test
    void aConfigMapStyleSymlinkSwapIsPickedUp() throws Exception {
        Path first = Files.createDirectory(dir.resolve("..2024_01_01_00_00_00.1"));
        Files.writeString(first.resolve("outpost.yaml"), config(18080));
        Files.createSymbolicLink(dir.resolve("..data"), first.getFileName());
        file = Files.createSymbolicLink(dir.resolve("outpost.yaml"), Path.of("..data", "outpost.yaml"));
        provider = FileProvider.builder(file, pushed::add).onReload(reloads::add).build();
        assertThat(provider.start().isValid()).isTrue();

        Path second = Files.createDirectory(dir.resolve("..2024_01_01_00_01_00.2"));
        Files.writeString(second.resolve("outpost.yaml"), config(18087));
        Path link = Files.createSymbolicLink(dir.resolve("..data_tmp"), second.getFileName());
        Files.move(link, dir.resolve("..data"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.delete(first.resolve("outpost.yaml"));
        Files.delete(first);

        await().atMost(Duration.ofSeconds(2)).until(() -> pushed.size() == 2);
        assertThat(provider.current()).map(FileProviderTest::port).contains(18087);
    }

    @Test
    void aFileDeletedThenRecreatedIsPickedUpAndTheLastGoodOneServesMeanwhile() throws Exception {
        start(config(18080), true);

        Files.delete(file);
        await().atMost(Duration.ofSeconds(2)).until(() -> reloads.stream().anyMatch(r -> r.outcome() == Outcome.REJECTED));
        assertThat(provider.current()).map(FileProviderTest::port).contains(18080);

        Files.writeString(file, config(18088));
        await().atMost(Duration.ofSeconds(2)).until(() -> pushed.size() == 2);
        assertThat(provider.current()).map(FileProviderTest::port).contains(18088);
    }

    /**
     * Whether a file is valid can depend on more than its bytes: here a CA file it names. Once that
     * file exists, saving the configuration again (without changing it) must apply it.
     */
    @Test
    void aRejectedFileIsCheckedAgainWhenSavedAgainUnchanged() throws Exception {
        Path ca = dir.resolve("certs").resolve("ca.pem");
        String content = """
                entryPoints: { web: { address: "127.0.0.1:18080" } }
                http:
                  routers: { a: { rule: "Path(`/a`)", service: s } }
                  services:
                    s:
                      loadBalancer:
                        endpoints: [ { url: "https://127.0.0.1:9443" } ]
                        tls: { caFiles: ["%s"] }
                """.formatted(ca);
        ConfigResult first = start(content, true);
        assertThat(first.isValid()).isFalse();

        Files.createDirectory(ca.getParent());
        Files.move(TestPki.ca(ca.getParent(), "ca").certFile(), ca);
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));

        await().atMost(Duration.ofSeconds(2)).until(() -> pushed.size() == 1);
        assertThat(reloads).extracting(Reload::outcome).doesNotContain(Outcome.UNCHANGED);
    }

    @Test
    void aFileThatOnceFailedToBeCheckedDoesNotStopTheWatcher() throws IOException {
        start(config(18080), true);

        Files.writeString(file, config(18080).replace("[ { url: \"http://127.0.0.1:9001\" } ]",
                "[ { url: \"http://127.0.0.1:9001\" } ], healthCheck: { path: /h, interval: 99999999999999h }"));
        await().atMost(Duration.ofSeconds(2)).until(() -> reloads.stream().anyMatch(r -> r.outcome() == Outcome.REJECTED));

        Files.writeString(file, config(18089));
        await().atMost(Duration.ofSeconds(2)).until(() -> pushed.size() == 2);
        assertThat(provider.current()).map(FileProviderTest::port).contains(18089);
    }

    @Test
    void aSnapshotTheListenerRefusesIsTriedAgainWhenTheFileIsSavedAgain() throws IOException {
        java.util.concurrent.atomic.AtomicBoolean refuse = new java.util.concurrent.atomic.AtomicBoolean();
        file = Files.writeString(dir.resolve("outpost.yaml"), config(18080));
        provider = FileProvider.builder(file, c -> {
            if (refuse.get()) {
                throw new SnapshotRejectedException("journal directory is locked", null);
            }
            pushed.add(c);
        }).onReload(reloads::add).build();
        provider.start();

        refuse.set(true);
        Files.writeString(file, config(18090));
        await().atMost(Duration.ofSeconds(2)).until(() -> reloads.stream().anyMatch(r -> r.outcome() == Outcome.REJECTED));
        assertThat(reloads.get(reloads.size() - 1).errors()).extracting(Object::toString)
                .containsExactly(file.toAbsolutePath() + ": cannot be applied: journal directory is locked");
        assertThat(provider.current()).map(FileProviderTest::port).contains(18080);

        refuse.set(false);
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
        await().atMost(Duration.ofSeconds(2)).until(() -> pushed.size() == 2);
        assertThat(provider.current()).map(FileProviderTest::port).contains(18090);
    }

    /** What outpost check refuses, a running gateway must refuse too, rather than read it with replaced bytes. */
    @Test
    void aFileThatIsNotUtf8IsRejectedAsCheckRejectsIt() throws IOException {
        start(config(18080), true);

        Files.write(file, (config(18091) + "# caf\u00e9\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        await().atMost(Duration.ofSeconds(2)).until(() -> reloads.stream().anyMatch(r -> r.outcome() == Outcome.REJECTED));

        assertThat(reloads.get(reloads.size() - 1).errors()).extracting(Object::toString).singleElement().asString()
                .endsWith("cannot read the file: it is not UTF-8 text (byte 0xe9 at line 5, column 6)");
        assertThat(provider.current()).map(FileProviderTest::port).contains(18080);
    }
}
