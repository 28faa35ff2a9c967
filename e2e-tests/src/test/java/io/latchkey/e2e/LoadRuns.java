package io.latchkey.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** What the load runs ({@code *BenchmarkIT}) share: nearest-rank percentiles, and writing their figures out. */
final class LoadRuns {

    private LoadRuns() {
    }

    /** The nearest-rank {@code percentile} of {@code values}, in any order; 100 is the largest. */
    static double percentile(double[] values, int percentile) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int index = (int) Math.ceil(percentile / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    static void write(Path path, String text) throws IOException {
        Files.createDirectories(path.toAbsolutePath().getParent());
        Files.writeString(path, text);
    }
}
