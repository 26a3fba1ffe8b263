/* The floor TA's header: single instance, kept alive, like the mfs TA. */
#ifndef USER_TA_HEADER_DEFINES_H
#define USER_TA_HEADER_DEFINES_H

#define TA_UUID                                                        \
	{ 0x5f3c0a1e, 0x8d2b, 0x4c7a,                                  \
	  { 0x9e, 0x61, 0x0b, 0x7d, 0x4a, 0x2c, 0x9f, 0x10 } }
#define TA_FLAGS                                                       \
	(TA_FLAG_SINGLE_INSTANCE | TA_FLAG_MULTI_SESSION |             \
	 TA_FLAG_INSTANCE_KEEP_ALIVE)
#define TA_STACK_SIZE (8 * 1024)
#define TA_DATA_SIZE (32 * 1024)

#endif
