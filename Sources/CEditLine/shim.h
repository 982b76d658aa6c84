// libedit (BSD licence) through its readline-compatible interface.
#include <stdio.h>
#include <editline/readline.h>
