// A small allocation-heavy Java program for the compatibility matrix
// (tests/integration/compat_jvm.sh): a pool of 4 threads builds strings,
// lists and maps; the JVM itself (libjvm.so) mallocs and mmaps for its heap,
// code cache and threads.  Prints the same lines every run.
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

public class CompatPool {
    static long work(int id) {
        long sum = 0;
        for (int r = 0; r < 40; r++) {
            Map<String, List<Integer>> m = new TreeMap<>();
            for (int i = 0; i < 2000; i++) {
                String k = "k" + id + "-" + (i * 31 % 257);
                m.computeIfAbsent(k, x -> new ArrayList<>()).add(i);
            }
            StringBuilder sb = new StringBuilder();
            for (Map.Entry<String, List<Integer>> e : m.entrySet()) {
                sb.append(e.getKey()).append('=').append(e.getValue().size()).append(';');
            }
            byte[] block = new byte[64 * 1024 + r * 1024];
            block[block.length - 1] = (byte) r;
            sum = sum * 31 + sb.length() + m.size() + block[block.length - 1] + id;
        }
        return sum;
    }

    public static void main(String[] args) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Long>> results = new ArrayList<>();
        for (int id = 0; id < 8; id++) {
            final int n = id;
            results.add(pool.submit(() -> work(n)));
        }
        for (int id = 0; id < results.size(); id++) {
            System.out.println("task " + id + ": " + results.get(id).get());
        }
        pool.shutdown();
        System.out.println("pool done");
    }
}
