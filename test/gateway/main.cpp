// The gateway's unit tests: one Catch2 program, its test files in the folders of examples/gateway.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
