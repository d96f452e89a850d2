/* Client of the Sandlock fork template protocol (docs/fork-protocol.md), for C templates.
 *
 *     int main(void) {
 *         load_expensive_state();               // once, in the template
 *         int id = sandlock_fork_serve();       // returns in every clone with its CLONE_ID
 *         if (id < 0) return errno ? 1 : 0;     // the template: the supervisor is done (errno 0) or failed
 *         work(id);                             // a clone: stdout is its own pipe to the supervisor
 *         return 0;
 *     }
 *
 * The template must be single-threaded when it calls sandlock_fork_serve: a clone is a copy of the calling thread only. */
#ifndef SANDLOCK_FORK_H
#define SANDLOCK_FORK_H

#ifdef __cplusplus
extern "C" {
#endif

/* Tells the supervisor the template is ready, then forks a clone for every request. Returns the clone's id (>= 0) in
 * each clone, with CLONE_ID set in its environment and fd 1 on its own pipe. Returns -1 in the template once the
 * supervisor closes the channel (errno 0) or on an error (errno set; ENOTCONN when not started as a fork template). */
int sandlock_fork_serve(void);

#ifdef __cplusplus
}
#endif
#endif
