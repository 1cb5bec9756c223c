#!/usr/bin/env bash
# Installs every Debian package Rackcast needs, and nothing else. This is the one list: later
# work adds its packages here. Installs only what is missing, so it is quick when all is there.
# Usage: scripts/install-deps.sh [--check]   (--check: report what is missing, install nothing)
set -euo pipefail

PACKAGES=(
  qemu-utils      # qemu-img: import/export of qcow2, vmdk, vdi, vhdx, vpc images
  fdisk           # sfdisk: partition tables of test and golden images
  e2fsprogs       # mkfs.ext4 -d, debugfs: loop-free ext4 images in tests and benchmarks
  dosfstools      # mkfs.fat: EFI system partitions in test images
  mtools          # mcopy/mmd: files into FAT partitions without mounting
  coreutils       # cp --sparse, sha256sum (benchmarks)
  udpcast         # udp-sender/udp-receiver: the multicast peer in scripts/bench/multicast
  uftp            # uftp/uftpd: the encrypted multicast peer in scripts/bench/multicast
  python3         # the shared multicast harness's image builder and summaries; node-gyp
  g++             # node-gyp builds the agent's batched-receive addon (preboot-image/datagram-ring) at npm install
  make            # node-gyp's build driver
  linux-perf      # perf: scripts/bench/multicast/profile-sender.sh (where a sender's CPU goes)
  valgrind        # memcheck of that addon's lifecycle in its tests (close twice, use after close)
  iproute2        # ip netns/link, tc tbf: the network-namespace multicast lab of the tests
  nftables        # nft numgen drop rules: packet loss in that lab (the kernel has no sch_netem)
  ipxe            # undionly.kpxe, ipxe.efi, snponly.efi: the iPXE binaries the TFTP server hands out
  busybox-static  # the preboot initramfs's shell and tools; udhcpc in the DHCP interop tests
  zstd            # the preboot initramfs is zstd -3 compressed
  cpio            # the preboot initramfs archive
  kmod            # modprobe --show-depends / depmod on the unpacked preboot kernel
  qemu-system-x86 # the lab's virtual machines (software emulation)
  ipxe-qemu       # iPXE option ROMs of the lab's virtual NICs
  ovmf            # UEFI firmware of the lab's UEFI virtual machines
  isc-dhcp-client # dhclient: DHCP interop tests
  tftp-hpa        # tftp client: TFTP interop tests
  atftp           # atftp client (blksize, windowsize): TFTP interop tests
  curl            # tftp:// and HTTP range fetches in interop tests
  dnsmasq-base    # the DHCP peer of the boot benchmarks (binary only: no service starts)
  kea-admin       # perfdhcp: the DHCP load generator of scripts/bench/dhcp (no Kea server starts)
  dmidecode       # copied into the preboot image: the agent's hardware detection (SMBIOS tables)
  efibootmgr      # copied into the preboot image: the agent writes the clone's UEFI boot entries
  partclone       # copied into the preboot image: used-block maps for capture (partclone.<fs> --domain)
  syslinux        # syslinux --install: the golden test image's BIOS boot sector and ldlinux.sys (mtools, no mount)
  syslinux-common # gptmbr.bin: the golden test image's MBR boot code that finds its legacy-BIOS-bootable ESP
  syslinux-efi    # syslinux.efi + ldlinux.e64: the golden test image's UEFI loader (EFI/BOOT/BOOTX64.EFI)
  chromium        # headless browser of the dashboard's browser tests and page-load benchmark (playwright-core drives it)
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "missing Debian packages: ${missing[*]}"
  exit 1
fi

echo "installing Debian packages: ${missing[*]}" >&2
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "error: not root and no sudo; install as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
