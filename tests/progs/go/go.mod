module faultprof/gotest

go 1.19
