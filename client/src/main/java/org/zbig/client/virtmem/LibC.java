package org.zbig.client.virtmem;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/** The few libc calls virtmem needs, through JNA (Linux, x86-64 and aarch64 constants). */
interface LibC extends Library {
  LibC C = Native.load("c", LibC.class);

  int PROT_NONE = 0;
  int PROT_READ = 1;
  int PROT_WRITE = 2;
  int MAP_SHARED = 0x01;
  int MAP_PRIVATE = 0x02;
  int MAP_FIXED = 0x10;
  int MAP_ANONYMOUS = 0x20;
  int MAP_NORESERVE = 0x4000;
  int MAP_POPULATE = 0x8000;
  int MFD_CLOEXEC = 1;
  int FALLOC_FL_KEEP_SIZE = 1;
  int FALLOC_FL_PUNCH_HOLE = 2;
  int O_RDWR = 2;
  int O_CREAT = 0100;
  int O_EXCL = 0200;
  int O_CLOEXEC = 02000000;
  int ENOSPC = 28;
  int ENOMEM = 12;

  int memfd_create(String name, int flags) throws LastErrorException;

  int open(String path, int flags, int mode) throws LastErrorException;

  int unlink(String path) throws LastErrorException;

  int ftruncate(int fd, long length) throws LastErrorException;

  int fallocate(int fd, int mode, long offset, long length) throws LastErrorException;

  Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset)
      throws LastErrorException;

  int munmap(Pointer addr, long length) throws LastErrorException;

  int MADV_POPULATE_WRITE = 23;

  int madvise(Pointer addr, long length, int advice) throws LastErrorException;

  int close(int fd) throws LastErrorException;

  String strerror(int errno);
}
