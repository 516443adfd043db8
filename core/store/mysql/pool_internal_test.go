package mysql

import "testing"

func TestPoolSizeParam(t *testing.T) {
	n, u, err := poolSize("mysql://root@db:3306/k?max_open_conns=6&parseTime=true")
	if err != nil || n != 6 || u != "mysql://root@db:3306/k?parseTime=true" {
		t.Errorf("poolSize = %d, %q, %v", n, u, err)
	}
	if n, u, err := poolSize("mysql://root@db:3306/k"); err != nil || n != DefaultMaxOpenConns || u != "mysql://root@db:3306/k" {
		t.Errorf("no param: %d, %q, %v", n, u, err)
	}
	for _, bad := range []string{"0", "-1", "many"} {
		if _, _, err := poolSize("mysql://root@db:3306/k?max_open_conns=" + bad); err == nil {
			t.Errorf("max_open_conns=%s accepted", bad)
		}
	}
}
