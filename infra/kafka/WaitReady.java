// Waits until a Kafka broker answers metadata requests, or gives up after a deadline.
// Run as a single-file program on the broker's own classpath:
//   java -cp "<libs>/*" infra/kafka/WaitReady.java 127.0.0.1:9092 90
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;

public class WaitReady {
    public static void main(String[] args) throws Exception {
        String brokers = args.length > 0 ? args[0] : "127.0.0.1:9092";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(args.length > 1 ? Long.parseLong(args[1]) : 90);
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
        String last = "no answer";
        try (Admin admin = Admin.create(props)) {
            while (System.nanoTime() < deadline) {
                try {
                    DescribeClusterResult cluster = admin.describeCluster();
                    int nodes = cluster.nodes().get(3, TimeUnit.SECONDS).size();
                    String id = cluster.clusterId().get(3, TimeUnit.SECONDS);
                    if (nodes > 0) {
                        System.out.println("Kafka at " + brokers + " is ready (cluster " + id + ", " + nodes + " broker)");
                        return;
                    }
                } catch (Exception e) {
                    last = e.getCause() != null ? e.getCause().toString() : e.toString();
                }
                Thread.sleep(500);
            }
        }
        System.err.println("Kafka at " + brokers + " did not answer in time: " + last);
        System.exit(1);
    }
}
