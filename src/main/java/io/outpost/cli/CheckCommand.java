package io.outpost.cli;

import io.outpost.config.ConfigError;
import io.outpost.config.ConfigLoader;
import io.outpost.config.ConfigResult;
import io.outpost.config.OutpostConfig;
import io.outpost.config.RuleChecker;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code outpost check -c FILE}: validates a file without starting anything, for CI and for editing.
 * Exit 0 when valid; exit 2 with every error, one {@code path: message} per line, on stderr.
 */
@Command(name = "check", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Validate a configuration file and print every error with its key path.")
final class CheckCommand implements Callable<Integer> {

    static final int INVALID = 2;

    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "The configuration file.")
    Path config;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ConfigResult result = new ConfigLoader(RuleChecker.installed()).load(config);
        for (ConfigError warning : result.warnings()) {
            err.println("warning: " + warning);
        }
        if (result instanceof ConfigResult.Valid valid) {
            OutpostConfig c = valid.config();
            out.println("configuration OK: " + c.http().routers().size() + " routers, "
                    + c.http().services().size() + " services");
            out.flush();
            err.flush();
            return 0;
        }
        result.errors().forEach(err::println);
        err.flush();
        return INVALID;
    }
}
