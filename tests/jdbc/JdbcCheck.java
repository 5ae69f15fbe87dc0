// MariaDB Connector/J against a running Starling FE: connect, run DDL, read
// DatabaseMetaData basics and check StarRocks' error codes.
// Usage: java -cp mariadb-java-client.jar JdbcCheck.java <query_port>
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

public class JdbcCheck {
    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    public static void main(String[] args) throws Exception {
        String url = "jdbc:mariadb://127.0.0.1:" + args[0] + "/?user=root&password=";
        try (Connection c = DriverManager.getConnection(url)) {
            check(c.getAutoCommit(), "autocommit must be on");
            try (Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE jdbc");
                s.execute("USE jdbc");
                s.execute("CREATE TABLE t (k INT NOT NULL, v VARCHAR(10)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1");
                try (ResultSet rs = s.executeQuery("SHOW TABLES")) {
                    check(rs.next() && rs.getString(1).equals("t"), "SHOW TABLES lists t");
                }
                try (ResultSet rs = s.executeQuery("SELECT DATABASE(), CONNECTION_ID()")) {
                    check(rs.next() && rs.getString(1).equals("jdbc"), "DATABASE() is jdbc");
                    check(rs.getLong(2) > 0, "CONNECTION_ID() is positive");
                }
                try {
                    s.execute("DROP TABLE missing");
                    check(false, "DROP TABLE missing must fail");
                } catch (SQLException e) {
                    check(e.getErrorCode() == 5502, "errno 5502, got " + e.getErrorCode());
                    check("42602".equals(e.getSQLState()), "SQLSTATE 42602, got " + e.getSQLState());
                }
            }
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO t VALUES (1, 'one'), (2, 'two')");
                try (ResultSet rs = s.executeQuery("SELECT k, v FROM t ORDER BY k")) {
                    check(rs.next() && rs.getInt(1) == 1 && rs.getString(2).equals("one"), "first row");
                    check(rs.next() && rs.getInt(1) == 2 && rs.getString(2).equals("two"), "second row");
                    check(!rs.next(), "two rows");
                }
            }
            java.sql.DatabaseMetaData md = c.getMetaData();
            try (ResultSet rs = md.getTables("jdbc", null, "%", null)) {
                check(rs.next() && rs.getString("TABLE_NAME").equals("t"), "getTables lists t");
                check("TABLE".equals(rs.getString("TABLE_TYPE")), "t is a TABLE, got " + rs.getString("TABLE_TYPE"));
            }
            try (ResultSet rs = md.getColumns("jdbc", null, "t", "%")) {
                check(rs.next() && rs.getString("COLUMN_NAME").equals("k"), "getColumns: k");
                check("INT".equals(rs.getString("TYPE_NAME")) && rs.getInt("DATA_TYPE") == java.sql.Types.INTEGER, "k is INT");
                check(rs.getInt("NULLABLE") == java.sql.DatabaseMetaData.columnNoNulls, "k is NOT NULL");
                check(rs.next() && rs.getString("COLUMN_NAME").equals("v"), "getColumns: v");
                check(rs.getInt("DATA_TYPE") == java.sql.Types.VARCHAR && rs.getInt("COLUMN_SIZE") == 10, "v is VARCHAR(10)");
                check(!rs.next(), "two columns");
            }
            String product = md.getDatabaseProductVersion();
            check(product.startsWith("8.0.33"), "server version, got " + product);
        }
        System.out.println("jdbc ok");
    }
}
