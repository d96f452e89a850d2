// Seeds libc's generators from the clock, the C idiom, for RandomSeedTests. Usage: seeding [DELAY_MS]
// Built by the tests at run time in several ways (PLT, GOT, no PIE, static); prints what the generators draw, then
// time(NULL) on a line of its own: a clock read that seeds nothing.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc > 1) usleep((useconds_t)atoi(argv[1]) * 1000);
    srand(time(NULL));
    int from_rand = rand();
    srandom(time(NULL));
    long from_random = random();
    srand48(time(NULL));
    long from_lrand48 = lrand48();
    printf("%d %ld %ld\n", from_rand, from_random, from_lrand48);
    time_t now = time(NULL);
    printf("%lld\n", (long long)now);
    return 0;
}
