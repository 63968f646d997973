// The few ncursesw calls the terminal backend needs, as plain functions: Swift can't
// import ncurses' globals and macros (stdscr, LINES, COLS, A_*, KEY_F, mouse masks).
#ifndef RISKDESK_NCURSES_SHIM_H
#define RISKDESK_NCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <ncursesw/curses.h>
#include <stdio.h>
#include <wchar.h>

/// Opens the terminal on /dev/tty with newterm (initscr would exit the process on an
/// unknown TERM). Returns NULL if the terminal can't be driven.
static inline SCREEN *rd_open(const char *term) {
    FILE *tty = fopen("/dev/tty", "r+");
    if (!tty) return NULL;
    SCREEN *s = newterm(term, tty, tty);
    if (!s) { fclose(tty); return NULL; }
    set_term(s);
    return s;
}
static inline void rd_setup(int mouse) {
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    meta(stdscr, TRUE);
    intrflush(stdscr, FALSE);
    curs_set(0);
    set_escdelay(25);
    /* Ctrl-Enter, where the terminal sends it distinctly (xterm modifyOtherKeys, CSI u). */
    define_key("\033[27;5;13~", KEY_MAX + 1);
    define_key("\033[13;5u", KEY_MAX + 1);
    if (has_colors()) { start_color(); use_default_colors(); }
    if (mouse) {
        mousemask(BUTTON1_PRESSED | BUTTON1_RELEASED | BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED |
                  BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
        mouseinterval(0);
    }
}
static inline int rd_lines(void) { return LINES; }
static inline int rd_cols(void) { return COLS; }
static inline int rd_colors(void) { return has_colors() ? COLORS : 0; }
static inline int rd_color_pairs(void) { return COLOR_PAIRS; }
static inline void rd_timeout(int ms) { wtimeout(stdscr, ms); }
/// 0: a character in *ch; 1: a key code in *ch; -1: nothing (timeout).
static inline int rd_get(wint_t *ch) {
    int r = wget_wch(stdscr, ch);
    if (r == OK) return 0;
    if (r == KEY_CODE_YES) return 1;
    return -1;
}
static inline int rd_init_pair(int pair, int fg, int bg) { return init_extended_pair(pair, fg, bg); }
/// Puts one cell: a base character plus up to 4 combining characters.
static inline int rd_put(int y, int x, const wchar_t *wch, int bold, int dim, int underline, int reverse, int italic, int pair) {
    cchar_t c;
    attr_t a = 0;
    if (bold) a |= A_BOLD;
    if (dim) a |= A_DIM;
    if (underline) a |= A_UNDERLINE;
    if (reverse) a |= A_REVERSE;
#ifdef A_ITALIC
    if (italic) a |= A_ITALIC;
#endif
    int p = pair;
    if (setcchar(&c, wch, a, 0, &p) != OK) return ERR;
    return mvwadd_wch(stdscr, y, x, &c);
}
/// The key code ncurses gives an extended key named by its terminfo capability
/// (e.g. "kLFT5" for Ctrl-Left), or -1 when the terminal doesn't describe it.
static inline int rd_key_code(const char *cap) {
    char *s = tigetstr(cap);
    if (s == NULL || s == (char *)-1) return -1;
    int k = key_defined(s);
    return k > 0 ? k : -1;
}
static inline int rd_key_ctrl_enter(void) { return KEY_MAX + 1; }
static inline int rd_key_sleft(void) { return KEY_SLEFT; }
static inline int rd_key_sright(void) { return KEY_SRIGHT; }
static inline int rd_key_sup(void) { return KEY_SR; }
static inline int rd_key_sdown(void) { return KEY_SF; }
static inline int rd_key_shome(void) { return KEY_SHOME; }
static inline int rd_key_send(void) { return KEY_SEND; }
static inline void rd_erase(void) { werase(stdscr); }
static inline void rd_clearok(void) { clearok(curscr, TRUE); }
static inline void rd_refresh(void) { wnoutrefresh(stdscr); doupdate(); }
static inline void rd_end(void) { endwin(); }
static inline void rd_leave(void) { def_prog_mode(); endwin(); }
static inline void rd_resume(void) { reset_prog_mode(); refresh(); }
static inline int rd_mouse(int *x, int *y, int *button) {
    MEVENT e;
    if (getmouse(&e) != OK) return 0;
    *x = e.x; *y = e.y;
    if (e.bstate & BUTTON4_PRESSED) *button = 4;
    else if (e.bstate & BUTTON5_PRESSED) *button = 5;
    else if (e.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) *button = 1;
    else if (e.bstate & BUTTON1_DOUBLE_CLICKED) *button = 11;
    else *button = 0;
    return 1;
}
static inline int rd_resize_term(void) { return resizeterm(0, 0); }

enum {
    RD_KEY_UP = KEY_UP, RD_KEY_DOWN = KEY_DOWN, RD_KEY_LEFT = KEY_LEFT, RD_KEY_RIGHT = KEY_RIGHT,
    RD_KEY_HOME = KEY_HOME, RD_KEY_END = KEY_END, RD_KEY_NPAGE = KEY_NPAGE, RD_KEY_PPAGE = KEY_PPAGE,
    RD_KEY_BACKSPACE = KEY_BACKSPACE, RD_KEY_DC = KEY_DC, RD_KEY_ENTER = KEY_ENTER, RD_KEY_BTAB = KEY_BTAB,
    RD_KEY_RESIZE = KEY_RESIZE, RD_KEY_MOUSE = KEY_MOUSE, RD_KEY_F0 = KEY_F0, RD_KEY_IC = KEY_IC,
    RD_KEY_SLEFT = KEY_SLEFT, RD_KEY_SRIGHT = KEY_SRIGHT,
};
#endif
