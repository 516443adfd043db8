package sqlite_test

import "github.com/shiyu-coder/kronos/core"

func nsNamed(name string) core.Namespace { return core.Namespace{Name: name} }
