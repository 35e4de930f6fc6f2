/* SPDX-License-Identifier: MIT */
/*
 * valise verify - recompute the whole store from its log (every hash, chain
 * link, signature, authorisation, revision and state root), then check the
 * current records and the index against it, and report each problem.
 *
 * LMDB trusts its file (no page checksums): a flipped bit in a branch or leaf
 * page can crash the reader itself. So the walk runs in a child process (it
 * opens the store read-only and sends what it finds through a pipe); if the
 * child dies from a signal, the parent reports a damaged store file, naming
 * the database being walked, and exits 1. Process handling stays here, in
 * tools/: the store knows nothing of processes (vl_store_verify_phases only
 * names each database before walking it).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vl_cli.h"
#include "vl_progress.h"

static const char s_usage[] =
    "usage: valise verify [--json] --key MEMBER.key\n"
    "\n"
    "Check the store from scratch: every log entry's hash, chain link, approver\n"
    "signatures, embedded proposal and authority binding, the state root after\n"
    "each entry, then every current record (decryption, schema, revision, body\n"
    "equal to the log's) and every index entry. Prints each problem on its own\n"
    "line, then\n"
    "  verify: OK (N entries, M records, root R)       exit status 0\n"
    "  verify: N problems                              exit status 1\n"
    "  verify: store file damaged: ...                 exit status 1\n"
    "The last one: reading the store crashed the reader (LMDB has no checksums);\n"
    "restore a backup or sync a fresh store from a peer (docs/operator.md).\n"
    "  --json   {\"ok\", \"problems\": [...], \"entries\", \"records\", \"root\",\n"
    "           \"damaged\": null or {\"signal\", \"checking\": database or null},\n"
    "           \"seen\": this machine's high-water mark for the store}\n"
    "           (entries, records and root are null when the store is damaged)\n"
    "A store behind the highest head this machine has seen for it (restored from\n"
    "an older copy?) is reported as \"verify: warning: this store is behind ...\"\n"
    "(exit status unchanged: the store itself is sound; docs/store.md section 8).\n";

/* Frames of the pipe from the child: kind, u32 length (host order), bytes.
 * S_F_PROGRESS is "DONE TOTAL STEP" (STEP: a-z and spaces), sent only when
 * stderr is a terminal, at most every S_PROGRESS_MS and at each step's ends. */
enum { S_F_PHASE = 'D', S_F_LINE = 'P', S_F_MARK = 'M', S_F_END = 'E', S_F_PROGRESS = 'G' };
#define S_PROGRESS_MS 50
#define S_FRAME_MAX (4 * VL_ERRMSG_MAX)

typedef struct {
    json_t *problems;        /* --json */
    size_t n;                /* report lines */
    char phase[32];          /* the database being walked, "" before any */
    bool end;                /* the child sent its verdict */
    int rc;                  /* vl_store_verify's */
    size_t nproblems;        /* its count */
    unsigned long long seq, records;
    char root[2 * VL_HASH_LEN + 1];
    json_t *seen;            /* the high-water mark judgement (vl_cli_mark_json) */
    vl_progress_t prog;      /* the progress line (a terminal only) */
} s_report_t;

static void
s_report(void *ctx, const char *line)
{
    s_report_t *r = ctx;
    r->n++;
    vl_progress_clear(&r->prog);
    if (r->problems)
        json_array_append_new(r->problems, json_string(line ? line : ""));
    else
        printf("%s\n", vl_cli_esc(line));
}

/* ---- the child: walk the store, send frames -------------------------------- */

static void
s_send(int fd, char kind, const char *s)
{
    size_t n = strlen(s);
    if (n > S_FRAME_MAX)
        n = S_FRAME_MAX;
    uint32_t len = (uint32_t)n;
    char hdr[1 + sizeof len];
    hdr[0] = kind;
    memcpy(hdr + 1, &len, sizeof len);
    const char *parts[2] = { hdr, s };
    size_t sizes[2] = { sizeof hdr, n };
    for (int i = 0; i < 2; i++) {
        size_t off = 0;
        while (off < sizes[i]) {
            ssize_t w = write(fd, parts[i] + off, sizes[i] - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return; /* the parent is gone: nothing to tell */
            off += (size_t)w;
        }
    }
}

/* The child's end of the pipe and its progress throttle. */
typedef struct {
    int fd;
    bool progress;           /* stderr is a terminal: send progress */
    uint64_t sent_ms;        /* last progress frame (monotonic ms) */
    char step[48];           /* its step */
} s_child_t;

static void
s_child_line(void *ctx, const char *line)
{
    s_send(((s_child_t *)ctx)->fd, S_F_LINE, line ? line : "");
}

static void
s_child_phase(void *ctx, const char *db)
{
    s_send(((s_child_t *)ctx)->fd, S_F_PHASE, db);
}

static void
s_child_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    s_child_t *c = ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    bool fresh = strncmp(c->step, what, sizeof c->step - 1) != 0;
    if (!fresh && done < total && now - c->sent_ms < S_PROGRESS_MS)
        return;
    snprintf(c->step, sizeof c->step, "%s", what);
    c->sent_ms = now;
    char frame[128];
    snprintf(frame, sizeof frame, "%llu %llu %s", (unsigned long long)done,
             (unsigned long long)total, c->step);
    s_send(c->fd, S_F_PROGRESS, frame);
}

/* Opens the store read-only, walks it, sends every line and the verdict.
 * Errors other than a verdict are printed here. @return an exit code. */
static int
s_child(vl_cli_t *cli, int fd)
{
    int ret = VL_EXIT_ERR;
    if (vl_cli_open_store(cli, VL_STORE_RDONLY | VL_STORE_QUIET) != VL_OK)
        goto out;
    size_t problems = 0;
    s_child_t c = { .fd = fd, .progress = isatty(STDERR_FILENO) == 1 };
    const vl_verify_cb_t cb = { .report = s_child_line, .phase = s_child_phase,
                                .progress = c.progress ? s_child_progress : NULL, .ctx = &c };
    int rc = vl_store_verify_ex(cli->store, &cb, &problems);
    if (rc != VL_OK && rc != VL_ECORRUPT) {
        vl_cli_fail(cli, rc, NULL);
        goto out;
    }
    s_child_phase(&c, "meta");
    json_t *mj = vl_cli_mark_json(vl_cli_mark());
    char *mark = mj ? json_dumps(mj, JSON_COMPACT) : NULL;
    json_decref(mj);
    if (mark)
        s_send(fd, S_F_MARK, mark);
    free(mark);
    vl_head_t head = { 0 };
    char root[2 * VL_HASH_LEN + 1] = "";
    if (vl_store_head(cli->store, &head) == VL_OK)
        vl_hex(head.root, VL_HASH_LEN, root);
    char end[64 + sizeof root];
    snprintf(end, sizeof end, "%d %zu %llu %llu %s", rc, problems,
             (unsigned long long)head.seq, (unsigned long long)head.records, root);
    s_send(fd, S_F_END, end);
    ret = VL_EXIT_OK;
out:
    vl_cli_done(cli);
    return ret;
}

/* ---- the parent: collect, judge the child's end ---------------------------- */

static bool
s_read_full(int fd, void *buf, size_t n)
{
    size_t off = 0;
    while (off < n) {
        ssize_t got = read(fd, (char *)buf + off, n - off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        off += (size_t)got;
    }
    return true;
}

/* Reads frames until the child closes the pipe (or sends garbage). */
static void
s_collect(int fd, s_report_t *r)
{
    static char s_buf[S_FRAME_MAX + 1];
    char hdr[1 + sizeof(uint32_t)];
    uint32_t len;
    while (s_read_full(fd, hdr, sizeof hdr)) {
        memcpy(&len, hdr + 1, sizeof len);
        if (len > S_FRAME_MAX || !s_read_full(fd, s_buf, len))
            return;
        s_buf[len] = '\0';
        if (hdr[0] == S_F_LINE) {
            s_report(r, s_buf);
        } else if (hdr[0] == S_F_PHASE && len < sizeof r->phase &&
                   strspn(s_buf, "abcdefghijklmnopqrstuvwxyz") == len) {
            memcpy(r->phase, s_buf, len + 1); /* a database name: a-z only */
        } else if (hdr[0] == S_F_PROGRESS) {
            unsigned long long done, total;
            char step[48];
            int at = 0;
            if (sscanf(s_buf, "%llu %llu %n", &done, &total, &at) == 2 && at > 0 &&
                strlen(s_buf + at) < sizeof step &&
                strspn(s_buf + at, "abcdefghijklmnopqrstuvwxyz ") == strlen(s_buf + at)) {
                memcpy(step, s_buf + at, strlen(s_buf + at) + 1); /* fixed words only */
                vl_progress_update(&r->prog, step, done, total);
            }
        } else if (hdr[0] == S_F_MARK && !r->seen) {
            json_t *j = json_loads(s_buf, 0, NULL);
            if (json_is_object(j))
                r->seen = j;
            else
                json_decref(j);
        } else if (hdr[0] == S_F_END) {
            r->end = sscanf(s_buf, "%d %zu %llu %llu %64s", &r->rc, &r->nproblems, &r->seq,
                            &r->records, r->root) >= 4;
        }
    }
}

static const char *
s_signame(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    default: return "a signal";
    }
}

/* The child died from sig: the store file is damaged. Prints the report
 * (stdout, or the JSON object) and one line on stderr. @return VL_EXIT_ERR. */
static int
s_damaged(s_report_t *r, int sig)
{
    char where[64 + sizeof r->phase], line[256 + sizeof where];
    if (r->phase[0])
        snprintf(where, sizeof where, "reading the database \"%s\"", r->phase);
    else
        snprintf(where, sizeof where, "opening the store");
    snprintf(line, sizeof line,
             "store file damaged: %s crashed the reader (%s, signal %d); LMDB has no "
             "page checksums", where, s_signame(sig), sig);
    if (r->problems) {
        json_array_append_new(r->problems, json_string(line));
        json_t *o = json_pack("{s:b, s:o, s:n, s:n, s:n, s:{s:i, s:s?}}", "ok", 0, "problems",
                              r->problems, "entries", "records", "root", "damaged", "signal",
                              sig, "checking", r->phase[0] ? r->phase : NULL);
        r->problems = NULL;
        vl_cli_print_json(o);
    } else {
        printf("verify: %s\n", line);
    }
    fflush(stdout);
    fprintf(stderr, "valise verify: %s: the store file is damaged (%s crashed the reader); "
            "restore a backup or sync a fresh store from a peer, see docs/operator.md\n",
            vl_strerror(VL_ECORRUPT), where);
    return VL_EXIT_ERR;
}

/* Prints the child's verdict as before. @return the exit code. */
static int
s_verdict(s_report_t *r)
{
    size_t problems = r->nproblems;
    /* The store's count is authoritative (some report lines are notes);
     * a corrupt verdict never shows as zero problems. */
    if (r->rc == VL_ECORRUPT && problems == 0)
        problems = r->n ? r->n : 1;
    const char *mark = json_string_value(json_object_get(r->seen, "message"));
    if (r->problems) {
        json_t *o = json_pack("{s:b, s:o, s:I, s:I, s:s, s:n, s:O?}", "ok", problems == 0,
                              "problems", r->problems, "entries", (json_int_t)r->seq,
                              "records", (json_int_t)r->records, "root", r->root, "damaged",
                              "seen", r->seen);
        r->problems = NULL;
        vl_cli_print_json(o);
    } else if (problems == 0) {
        if (mark && mark[0])
            printf("verify: warning: %s\n", vl_cli_esc(mark));
        printf("verify: OK (%llu entries, %llu records, root %.16s)\n", r->seq, r->records,
               r->root);
    } else {
        if (mark && mark[0])
            printf("verify: warning: %s\n", vl_cli_esc(mark));
        printf("verify: %zu problem%s\n", problems, problems == 1 ? "" : "s");
    }
    if (problems == 0)
        return VL_EXIT_OK;
    fflush(stdout);
    fprintf(stderr, "valise verify: %s: %zu problem%s found\n", vl_strerror(VL_ECORRUPT),
            problems, problems == 1 ? "" : "s");
    return VL_EXIT_ERR;
}

int
cmd_verify(int argc, char **argv)
{
    vl_cli_t cli;
    vl_cli_init(&cli, "verify", s_usage);
    int ret = vl_cli_parse(&cli, argc, argv, NULL, true);
    if (ret != VL_EXIT_OK || cli.help)
        return ret;
    if (cli.args.n > 0)
        return vl_cli_usage(&cli, "unexpected argument '%s'", cli.args.v[0]);

    ret = VL_EXIT_ERR;
    int fds[2] = { -1, -1 };
    s_report_t r = { .problems = cli.json ? json_array() : NULL };
    if (cli.json && !r.problems) {
        vl_cli_fail(&cli, VL_ENOMEM, NULL);
        goto out;
    }
    fflush(stdout);
    fflush(stderr);
    if (pipe(fds) != 0) {
        vl_cli_fail(&cli, VL_EIO, "pipe: %s", strerror(errno));
        goto out;
    }
    pid_t pid = fork();
    if (pid < 0) {
        vl_cli_fail(&cli, VL_EIO, "fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0) {
        close(fds[0]);
        int code = s_child(&cli, fds[1]);
        fflush(stderr);
        _exit(code);
    }
    close(fds[1]);
    fds[1] = -1;
    vl_progress_init(&r.prog, "verify");
    s_collect(fds[0], &r);
    vl_progress_end(&r.prog);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            vl_cli_fail(&cli, VL_EIO, "waitpid: %s", strerror(errno));
            goto out;
        }
    }
    if (WIFSIGNALED(status))
        ret = s_damaged(&r, WTERMSIG(status));
    else if (r.end)
        ret = s_verdict(&r);
    else if (WIFEXITED(status) && WEXITSTATUS(status) != VL_EXIT_OK)
        ret = WEXITSTATUS(status); /* the child said why */
    else
        vl_cli_failx(&cli, "the checking process ended without a verdict");
out:
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    json_decref(r.problems);
    json_decref(r.seen);
    vl_cli_done(&cli);
    return ret;
}
