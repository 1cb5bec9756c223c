#!/usr/bin/env bash
# Builds and modifies realistic GPT disk image files for tests and benchmarks, without loop
# devices, mounts or root-only kernel features: every filesystem is built in a separate
# partition image file and copied into the disk file with dd.
#
#   make-test-disk.sh build OUT.img [--size 256M] [--fat-from DIR] [--fat-size 33M]
#                      [--ext4-from DIR] [--ext4-size 160M] [--keep-parts] [--check] [--verbose]
#       GPT disk, partition 1 = EFI System (FAT32), partition 2 = Linux filesystem (ext4).
#       Partitions are 1 MiB aligned; partition 1 starts at 1 MiB. Without --ext4-size the ext4
#       partition takes the rest of the disk. Disk GUIDs, filesystem UUIDs, volume id, hash seed
#       and creation times are fixed, so two builds from the same trees are byte-identical
#       where the tools allow it (see "Reproducibility" below). --keep-parts keeps the partition
#       images as OUT.p1.img and OUT.p2.img.
#
#   make-test-disk.sh modify IMG [--partition 2] OP... [--check] [--verbose]
#       OP is one of, applied in the order given:
#         --write SRC:/dest/path   copy the local file SRC to /dest/path (replaces an existing
#                                  file; missing parent directories are created). The argument
#                                  is split at its last ":/".
#         --rm /path               remove a file or symlink, or an empty directory
#         --mkdir /path            create a directory and its missing parents (like mkdir -p)
#       The ext4 partition is extracted with dd (offset and size from `sfdisk --json`),
#       changed with `debugfs -w -R`, and written back with dd conv=notrunc. IMG is changed only
#       when every operation succeeded.
#
#   --check    run e2fsck -fn (and fsck.fat -n for build) on the result; fail on any error.
#   --verbose  say what is done. Without it nothing is printed on success.
#
# Sizes take a K, M, G or T suffix (binary: 1M = 1 MiB; "MiB" is accepted too) and must be
# whole MiB. Exit status: 0 on success, 1 on failure, 2 on a usage error.
#
# Reproducibility: GUIDs, UUIDs, volume id, hash seed and creation times are fixed, and
# mkfs.fat runs with --invariant, so two builds from unchanged trees are byte-identical. File
# contents, modes and times come from the source trees, including access times, which the
# first read of a freshly written tree may still update (relatime): a first build can then
# differ from later ones in ext4 inode atimes and checksums only.
set -euo pipefail

# mkfs.*, sfdisk and debugfs live in /usr/sbin on Debian, which a normal user's PATH lacks.
PATH="$PATH:/usr/sbin:/sbin"
export MTOOLS_SKIP_CHECK=1 LC_ALL=C

readonly PROG=${0##*/}
readonly MIB=1048576
# Fixed identifiers so that builds are reproducible.
readonly DISK_GUID=5A3C0E2B-4D7F-4B8E-9C1A-2F6D8E0B1C3D
readonly ESP_PART_GUID=1B0E7C2A-3F4D-4E5A-8B6C-7D8E9F0A1B2C
readonly ROOT_PART_GUID=6E4F2A1C-8B3D-4C5E-9F7A-0D1E2B3C4A5F
readonly EXT4_UUID=3C1B9F5E-7A2D-4E8B-8C6F-1A0D2E3B4C5D
readonly EXT4_HASH_SEED=9D8C7B6A-5F4E-4D3C-8B2A-190817263544
readonly FAT_VOLID=52434153 # "RCAS"
readonly FIXED_TIME=1700000000 # 2023-11-14T22:13:20Z, creation time written into ext4
readonly TYPE_ESP=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
readonly TYPE_LINUX=0FC63DAF-8483-4772-8E79-3D69D8477DE4

VERBOSE=0
TMP=''

die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }
usage_error() { printf '%s: %s\nRun "%s --help" for usage.\n' "$PROG" "$*" "$PROG" >&2; exit 2; }
say() { if ((VERBOSE)); then printf '%s\n' "$*" >&2; fi; return 0; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

cleanup() { if [[ -n $TMP ]]; then rm -rf -- "$TMP"; fi; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# need TOOL... : fails naming the Debian package of every missing tool.
need() {
  local tool pkg missing=()
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 && continue
    case $tool in
      sfdisk | fallocate) pkg=fdisk/util-linux ;;
      mkfs.ext4 | debugfs | e2fsck) pkg=e2fsprogs ;;
      mkfs.fat | fsck.fat) pkg=dosfstools ;;
      mcopy | mmd) pkg=mtools ;;
      dd | truncate | stat | mktemp) pkg=coreutils ;;
      *) pkg=unknown ;;
    esac
    missing+=("$tool (Debian package: $pkg)")
  done
  if ((${#missing[@]})); then
    die "missing tools: ${missing[*]}; install with apt-get install <package>"
  fi
}

# run CMD...: runs a tool quietly; on failure prints its output and the command, then fails.
run() {
  local out
  if ! out=$("$@" 2>&1); then
    [[ -n $out ]] && printf '%s\n' "$out" >&2
    die "failed: $*"
  fi
  if ((VERBOSE)) && [[ -n $out ]]; then printf '%s\n' "$out" >&2; fi
  return 0
}

# to_bytes WHAT VALUE: prints VALUE in bytes; VALUE must be a whole number of MiB.
to_bytes() {
  local what=$1 v=$2 n unit mult
  [[ $v =~ ^([0-9]+)([KkMmGgTt]?)(i?B)?$ ]] || usage_error "$what: not a size: '$v' (e.g. 256M)"
  n=$((10#${BASH_REMATCH[1]}))
  unit=${BASH_REMATCH[2]^^}
  case $unit in
    '') mult=1 ;; K) mult=1024 ;; M) mult=$MIB ;; G) mult=$((1024 * MIB)) ;; T) mult=$((1024 * 1024 * MIB)) ;;
  esac
  n=$((n * mult))
  ((n > 0 && n % MIB == 0)) || usage_error "$what: must be a positive whole number of MiB: '$v'"
  printf '%d\n' "$n"
}

# quote_debugfs ARG: double-quotes ARG for the debugfs command parser, which has no escapes.
quote_debugfs() {
  case $1 in
    *'"'* | *$'\n'*) die "path not supported by debugfs (contains a double quote or newline): $1" ;;
  esac
  printf '"%s"' "$1"
}

# debugfs_run IMG WRITABLE CMD: runs one debugfs request; fails with debugfs's message on error.
# debugfs exits 0 even when a request fails, so errors are recognised on stderr (everything
# apart from its version banner).
debugfs_run() {
  local img=$1 writable=$2 cmd=$3 err out
  local -a flags=()
  [[ $writable == 1 ]] && flags=(-w)
  err=$(mktemp "$TMP/debugfs-err.XXXXXX")
  out=$(debugfs "${flags[@]}" -R "$cmd" "$img" 2>"$err") || true
  if grep -qv '^debugfs [0-9]' "$err"; then
    grep -v '^debugfs [0-9]' "$err" | sed 's/^/  debugfs: /' >&2
    rm -f -- "$err"
    return 1
  fi
  rm -f -- "$err"
  printf '%s' "$out"
}

# inode_type IMG PATH: prints "regular", "directory", "symlink", ... or "none" if PATH is absent.
inode_type() {
  local out
  out=$(debugfs -R "stat $(quote_debugfs "$2")" "$1" 2>/dev/null) || true
  if [[ $out =~ Type:\ ([a-z]+) ]]; then
    case ${BASH_REMATCH[1]} in
      regular) printf 'regular file\n' ;;
      *) printf '%s\n' "${BASH_REMATCH[1]}" ;;
    esac
  else
    printf 'none\n'
  fi
}

check_abs_path() {
  [[ $2 == /* ]] || usage_error "$1: path inside the filesystem must be absolute: '$2'"
  [[ $2 != */ || $2 == / ]] || usage_error "$1: path must not end with '/': '$2'"
}

# mkdir_p IMG PATH: creates PATH and its missing parents inside the ext4 image.
mkdir_p() {
  local img=$1 path=$2 prefix='' part type
  local -a parts
  IFS=/ read -r -a parts <<<"${path#/}"
  for part in "${parts[@]}"; do
    [[ -z $part ]] && continue
    prefix+="/$part"
    type=$(inode_type "$img" "$prefix")
    case $type in
      directory) ;;
      none)
        say "mkdir $prefix"
        debugfs_run "$img" 1 "mkdir $(quote_debugfs "$prefix")" >/dev/null || die "cannot create directory $prefix"
        ;;
      *) die "cannot create directory $path: $prefix exists and is a $type" ;;
    esac
  done
}

# copy_into_disk PART_IMG DISK OFFSET_BYTES SPARSE: writes a partition image into the disk file.
copy_into_disk() {
  local part=$1 disk=$2 offset=$3 sparse=$4 conv=notrunc
  [[ $sparse == 1 ]] && conv=notrunc,sparse
  run dd if="$part" of="$disk" bs=1M seek="$offset" oflag=seek_bytes conv="$conv" status=none
}

cmd_build() {
  local out='' size='' fat_from='' fat_size=$((33 * MIB)) ext4_from='' ext4_size='' keep=0 check=0
  while (($#)); do
    case $1 in
      --size) size=$(to_bytes --size "${2-}"); shift 2 ;;
      --fat-from) fat_from=${2-}; shift 2 ;;
      --fat-size) fat_size=$(to_bytes --fat-size "${2-}"); shift 2 ;;
      --ext4-from) ext4_from=${2-}; shift 2 ;;
      --ext4-size) ext4_size=$(to_bytes --ext4-size "${2-}"); shift 2 ;;
      --keep-parts) keep=1; shift ;;
      --check) check=1; shift ;;
      --verbose | -v) VERBOSE=1; shift ;;
      -h | --help) usage; exit 0 ;;
      -*) usage_error "build: unknown option: $1" ;;
      *) [[ -z $out ]] || usage_error "build: more than one output file: $1"; out=$1; shift ;;
    esac
  done
  [[ -n $out ]] || usage_error "build: missing output file"
  [[ -n $size ]] || size=$((256 * MIB))
  [[ -z $fat_from || -d $fat_from ]] || die "--fat-from: not a directory: $fat_from"
  [[ -z $ext4_from || -d $ext4_from ]] || die "--ext4-from: not a directory: $ext4_from"
  # FAT32 needs at least 65525 clusters: firmware and mtools pick the FAT type from the cluster
  # count, so a smaller "FAT32" is read as FAT16 and is unusable. With 512-byte clusters that is
  # 65525 sectors of data + reserved sectors + 2 FATs = 32.5 MiB.
  ((fat_size >= 33 * MIB)) || die "--fat-size: FAT32 needs at least 33M (65525 clusters), got $((fat_size / MIB))M"
  local tools=(sfdisk mkfs.ext4 mkfs.fat dd truncate mktemp)
  [[ -n $fat_from ]] && tools+=(mcopy)
  ((check)) && tools+=(e2fsck fsck.fat)
  need "${tools[@]}"

  # Layout in 512-byte sectors: GPT needs 34 sectors at the start (inside the first MiB) and
  # 33 at the end; the partitions are aligned to 1 MiB.
  local sectors=$((size / 512)) p1_start=2048 p1_sectors=$((fat_size / 512)) p2_start p2_sectors last_usable
  p2_start=$((p1_start + p1_sectors))
  last_usable=$((sectors - 34))
  if [[ -z $ext4_size ]]; then
    p2_sectors=$(((last_usable + 1 - p2_start) / 2048 * 2048))
    ((p2_sectors > 0)) || die "--size $((size / MIB))M leaves no room for the ext4 partition after the $((fat_size / MIB))M FAT partition"
    ext4_size=$((p2_sectors * 512))
  else
    p2_sectors=$((ext4_size / 512))
  fi
  if ((p2_start + p2_sectors - 1 > last_usable)); then
    die "partitions do not fit: 1M + --fat-size $((fat_size / MIB))M + --ext4-size $((ext4_size / MIB))M + 1M (GPT) > --size $((size / MIB))M"
  fi
  ((ext4_size >= 8 * MIB)) || die "--ext4-size: ext4 needs at least 8M"

  local dir base
  dir=$(dirname -- "$out")
  base=$(basename -- "$out")
  [[ -d $dir ]] || die "output directory does not exist: $dir"
  TMP=$(mktemp -d "$dir/.$base.XXXXXX")
  local disk=$TMP/disk.img p1=$TMP/p1.img p2=$TMP/p2.img

  say "disk $out: $((size / MIB)) MiB GPT; p1 EFI System FAT32 $((fat_size / MIB)) MiB at 1 MiB; p2 Linux ext4 $((ext4_size / MIB)) MiB at $((p2_start / 2048)) MiB"
  run truncate -s "$size" "$disk"
  run sfdisk --quiet --no-reread --no-tell-kernel "$disk" <<EOF
label: gpt
label-id: $DISK_GUID
unit: sectors
first-lba: 2048
1 : start=$p1_start, size=$p1_sectors, type=$TYPE_ESP, uuid=$ESP_PART_GUID, name="EFI System"
2 : start=$p2_start, size=$p2_sectors, type=$TYPE_LINUX, uuid=$ROOT_PART_GUID, name="rootfs"
EOF

  # Partition 1: FAT32. -h = hidden sectors (the partition's start), so it is bootable in place.
  run truncate -s "$fat_size" "$p1"
  run mkfs.fat -F 32 -n EFI -i "$FAT_VOLID" -h "$p1_start" --invariant "$p1"
  if [[ -n $fat_from ]]; then
    local -a entries=()
    local entry
    while IFS= read -r -d '' entry; do entries+=("$entry"); done \
      < <(find "$fat_from" -mindepth 1 -maxdepth 1 -print0 | sort -z)
    if ((${#entries[@]})); then
      say "copying $fat_from into the FAT32 partition"
      # -s recursive, -m keep modification times, -Q stop at the first error, -D o overwrite on a
      # (case-insensitive) long-name clash instead of asking.
      run mcopy -i "$p1" -s -m -Q -D o "${entries[@]}" ::/
    fi
  fi

  # Partition 2: ext4 with fixed UUID, hash seed and times; root directory owned by root.
  run truncate -s "$ext4_size" "$p2"
  local -a mkfs_args=(-F -q -L rootfs -U "$EXT4_UUID" -E "root_owner=0:0,hash_seed=$EXT4_HASH_SEED,nodiscard")
  [[ -n $ext4_from ]] && mkfs_args+=(-d "$ext4_from")
  say "creating ext4${ext4_from:+ from $ext4_from}"
  E2FSPROGS_FAKE_TIME=$FIXED_TIME SOURCE_DATE_EPOCH=$FIXED_TIME run mkfs.ext4 "${mkfs_args[@]}" "$p2"

  if ((check)); then
    say "checking filesystems"
    run fsck.fat -n "$p1"
    run e2fsck -fn "$p2"
  fi

  copy_into_disk "$p1" "$disk" $((p1_start * 512)) 1
  copy_into_disk "$p2" "$disk" $((p2_start * 512)) 1
  if ((keep)); then
    mv -f -- "$p1" "$out.p1.img"
    mv -f -- "$p2" "$out.p2.img"
    say "kept $out.p1.img and $out.p2.img"
  fi
  mv -f -- "$disk" "$out"
}

# part_geometry IMG N: prints "START_BYTES SIZE_BYTES" of partition N, from sfdisk --json.
part_geometry() {
  local img=$1 want=$2 json line key value sector=512 node='' start='' psize=''
  json=$(sfdisk --json "$img" 2>&1) || die "cannot read the partition table of $img: $json"
  # One "key": value token per line, in document order: sectorsize, then node/start/size of
  # each partition. The partition number is the trailing number of "node" (disk.img2, disk1p2).
  while IFS= read -r line; do
    key=${line%%\":*}
    key=${key#\"}
    value=${line#*:}
    value=${value# }
    value=${value//\"/}
    case $key in
      sectorsize) sector=$value ;;
      node) node=$value; start=''; psize='' ;;
      start) start=$value ;;
      size) psize=$value ;;
    esac
    if [[ -n $node && -n $start && -n $psize ]]; then
      [[ $node =~ ([0-9]+)$ ]] || die "unexpected partition node name in sfdisk output: $node"
      if ((10#${BASH_REMATCH[1]} == want)); then
        printf '%d %d\n' $((start * sector)) $((psize * sector))
        return 0
      fi
      node=''
    fi
  done < <(grep -oE '"(node|start|size|sectorsize)": *("[^"]*"|[0-9]+)' <<<"$json")
  die "$img has no partition $want"
}

cmd_modify() {
  local img='' partition=2 check=0
  local -a ops=() # "write<TAB>src<TAB>dest", "rm<TAB>path", "mkdir<TAB>path"
  while (($#)); do
    case $1 in
      --partition)
        [[ ${2-} =~ ^[0-9]+$ ]] || usage_error "--partition: not a partition number: '${2-}'"
        partition=$2; shift 2 ;;
      --write)
        local arg=${2-} src dest
        [[ $arg == *:/* ]] || usage_error "--write: expected SRC:/dest/path, got '$arg'"
        src=${arg%:/*}
        dest=/${arg##*:/}
        [[ -n $src ]] || usage_error "--write: empty source in '$arg'"
        check_abs_path --write "$dest"
        [[ $dest != / ]] || usage_error "--write: destination is the root directory"
        [[ -f $src ]] || die "--write: not a readable regular file: $src"
        ops+=("write"$'\t'"$src"$'\t'"$dest"); shift 2 ;;
      --rm)
        check_abs_path --rm "${2-}"
        [[ $2 != / ]] || usage_error "--rm: refusing to remove the root directory"
        ops+=("rm"$'\t'"$2"); shift 2 ;;
      --mkdir)
        check_abs_path --mkdir "${2-}"
        ops+=("mkdir"$'\t'"$2"); shift 2 ;;
      --check) check=1; shift ;;
      --verbose | -v) VERBOSE=1; shift ;;
      -h | --help) usage; exit 0 ;;
      -*) usage_error "modify: unknown option: $1" ;;
      *) [[ -z $img ]] || usage_error "modify: more than one image: $1"; img=$1; shift ;;
    esac
  done
  [[ -n $img ]] || usage_error "modify: missing image file"
  [[ -f $img ]] || die "no such image file: $img"
  local tools=(sfdisk debugfs dd mktemp)
  ((check)) && tools+=(e2fsck)
  need "${tools[@]}"

  local geometry offset length
  geometry=$(part_geometry "$img" "$partition")
  read -r offset length <<<"$geometry"
  TMP=$(mktemp -d)
  local part=$TMP/part.img
  say "partition $partition of $img: $length bytes at offset $offset"
  run dd if="$img" of="$part" bs=1M skip="$offset" count="$length" iflag=skip_bytes,count_bytes conv=sparse status=none
  debugfs_run "$part" 0 stats >/dev/null 2>&1 ||
    die "partition $partition of $img does not hold an ext2/3/4 filesystem"

  local op kind a b type
  for op in "${ops[@]}"; do
    IFS=$'\t' read -r kind a b <<<"$op"
    case $kind in
      write)
        type=$(inode_type "$part" "$b")
        case $type in
          none) mkdir_p "$part" "$(dirname -- "$b")" ;;
          'regular file' | symlink)
            debugfs_run "$part" 1 "rm $(quote_debugfs "$b")" >/dev/null || die "cannot replace $b" ;;
          *) die "--write: $b exists and is a $type" ;;
        esac
        say "write $a -> $b"
        debugfs_run "$part" 1 "write $(quote_debugfs "$a") $(quote_debugfs "$b")" >/dev/null ||
          die "cannot write $a to $b"
        ;;
      rm)
        type=$(inode_type "$part" "$a")
        case $type in
          none) die "--rm: no such file or directory: $a" ;;
          directory)
            say "rmdir $a"
            debugfs_run "$part" 1 "rmdir $(quote_debugfs "$a")" >/dev/null ||
              die "cannot remove directory $a (only empty directories can be removed)" ;;
          *)
            say "rm $a"
            debugfs_run "$part" 1 "rm $(quote_debugfs "$a")" >/dev/null || die "cannot remove $a" ;;
        esac
        ;;
      mkdir) mkdir_p "$part" "$a" ;;
    esac
  done

  if ((check)); then
    say "checking the filesystem"
    run e2fsck -fn "$part"
  fi
  # Not conv=sparse: a block that became all zeros must overwrite the old contents. The holes
  # are dug again afterwards where the filesystem of the image file allows it.
  copy_into_disk "$part" "$img" "$offset" 0
  if command -v fallocate >/dev/null 2>&1; then
    fallocate --dig-holes --offset "$offset" --length "$length" "$img" 2>/dev/null || true
  fi
}

main() {
  (($#)) || usage_error "missing subcommand (build or modify)"
  local sub=$1
  shift
  case $sub in
    build) cmd_build "$@" ;;
    modify) cmd_modify "$@" ;;
    -h | --help | help) usage ;;
    *) usage_error "unknown subcommand: $sub (expected build or modify)" ;;
  esac
}

main "$@"
