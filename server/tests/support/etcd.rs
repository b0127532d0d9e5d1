//! An etcd cluster on loopback for the lock tests: Debian's `etcd` binary, one
//! process per member, each with its own folder and free ports.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct EtcdCluster {
    members: Vec<Option<Child>>,
    pub client_urls: Vec<String>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl EtcdCluster {
    /// Starts `size` members in `dir` and waits until the cluster has a leader.
    pub fn start(dir: &Path, size: usize) -> EtcdCluster {
        let peers: Vec<String> = (0..size)
            .map(|_| format!("http://127.0.0.1:{}", free_port()))
            .collect();
        let client_urls: Vec<String> = (0..size)
            .map(|_| format!("http://127.0.0.1:{}", free_port()))
            .collect();
        let initial = peers
            .iter()
            .enumerate()
            .map(|(index, peer)| format!("m{index}={peer}"))
            .collect::<Vec<_>>()
            .join(",");
        let members = (0..size)
            .map(|index| {
                let child = Command::new("etcd")
                    .arg("--name")
                    .arg(format!("m{index}"))
                    .arg("--data-dir")
                    .arg(dir.join(format!("etcd-m{index}")))
                    .args(["--listen-client-urls", &client_urls[index]])
                    .args(["--advertise-client-urls", &client_urls[index]])
                    .args(["--listen-peer-urls", &peers[index]])
                    .args(["--initial-advertise-peer-urls", &peers[index]])
                    .args(["--initial-cluster", &initial])
                    .args(["--initial-cluster-state", "new"])
                    .args(["--initial-cluster-token", "weft-test"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("etcd starts: install Debian's etcd-server (scripts/test.sh does)");
                Some(child)
            })
            .collect();
        let cluster = EtcdCluster {
            members,
            client_urls,
        };
        let started = Instant::now();
        while cluster.leader().is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the etcd cluster found no leader"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        cluster
    }

    /// The index of the member that leads now, as the live members report it.
    pub fn leader(&self) -> Option<usize> {
        for (index, url) in self.client_urls.iter().enumerate() {
            if self.members[index].is_none() {
                continue;
            }
            let Some(status) = status(url) else { continue };
            let leader = &status["leader"];
            if leader.is_null() || leader == "0" {
                continue;
            }
            if *leader == status["header"]["member_id"] {
                return Some(index);
            }
        }
        None
    }

    /// SIGKILL for one member.
    pub fn kill(&mut self, index: usize) {
        if let Some(mut child) = self.members[index].take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    pub fn endpoints(&self) -> String {
        self.client_urls.join(",")
    }
}

/// A member's status through the gateway, with curl-free plain HTTP.
fn status(url: &str) -> Option<serde_json::Value> {
    use std::io::{Read, Write};
    let address = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let body = "{}";
    let request = format!(
        "POST /v3/maintenance/status HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    // The body may come in chunks: the JSON object is between its outer braces.
    let (_, body) = response.split_once("\r\n\r\n")?;
    let json = &body[body.find('{')?..=body.rfind('}')?];
    serde_json::from_str(json).ok()
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        for index in 0..self.members.len() {
            self.kill(index);
        }
    }
}
