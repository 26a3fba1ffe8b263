global-incdirs-y += include
srcs-y += floor_ta.c
