"""What a run leaves behind: the run folder and its files, results.json, plots, the pcap with
its Wireshark key tables, the CRL history, the SCEP and OCSP files. It reads the world only
through the plain records the world keeps; the world never imports it."""
